#include "train/model_factory.h"

#include <filesystem>

#include "cnn/error.h"
#include "cnn/models/registry.h"
#include "cnn/onnx/onnx.h"

namespace cnn::train {

bool is_onnx_model(const std::string& model) {
  return model.size() > 5 && model.compare(model.size() - 5, 5, ".onnx") == 0;
}

std::string onnx_model_file(const TrainConfig& config) {
  const std::filesystem::path copy = std::filesystem::path(config.out) / "model.onnx";
  return !config.out.empty() && std::filesystem::exists(copy) ? copy.string() : config.model;
}

BuiltModel build_model(const TrainConfig& config, int64_t classes, const Shape& data_shape,
                       Generator& gen) {
  if (!is_onnx_model(config.model)) {
    CNN_CHECK(config.num_classes == 0 || config.num_classes == classes, "--num-classes ",
              config.num_classes, " disagrees with the data's ", classes, " classes");
    return {models::create(config.model, {.classes = classes, .in_channels = data_shape[2]}, gen),
            data_shape};
  }
  const std::string file = onnx_model_file(config);
  std::shared_ptr<onnx::Model> model = onnx::load(file);
  CNN_CHECK(model->inputs().size() == 1 && model->inputs()[0].shape.size() == 4, file,
            ": a model to train takes one [N, C, H, W] image input");
  const Shape declared = model->inputs()[0].shape;  // [N, C, H, W], -1 where symbolic
  // classes: the data's; a different classifier is replaced only when asked for
  const int64_t outputs = onnx::declared_classes(*model);
  if (outputs != classes) {
    CNN_CHECK(config.num_classes == classes, file, ": the model has ", outputs,
              " outputs but the data ", classes, " classes; --num-classes ", classes,
              " replaces its classifier with a new one");
    model = onnx::with_classes(*model, classes, gen);
  }
  // channels: grayscale data into a colour network through its first convolution
  if (declared[1] > 0 && declared[1] != data_shape[2]) {
    CNN_CHECK(data_shape[2] == 1, file, ": the model takes ", declared[1],
              "-channel images, the data has ", data_shape[2], " channels");
    model = onnx::with_input_channels(*model, 1);
  }
  Shape input = data_shape;
  if (declared[2] > 0 && declared[3] > 0) {
    CNN_CHECK(config.resize == 0 || (config.resize == declared[2] && config.resize == declared[3]),
              file, ": the model takes ", declared[2], "x", declared[3], " images; --resize ",
              config.resize, " disagrees");
    input = {declared[2], declared[3], data_shape[2]};
  }
  return {model, input};
}

}  // namespace cnn::train
