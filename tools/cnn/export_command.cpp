// `cnn export RUN_OR_MODEL OUT.onnx`: a trained model (run folder or checkpoint) or a zoo model
// with random weights, written as an ONNX model for ONNX Runtime and other tools
// (cnn::onnx::save): NCHW input "input" with a symbolic batch by default, checked by ONNX's
// checker before it is written. A trained model's classes and input normalization go into the
// file's metadata (the graph itself takes normalized images, as the model does).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cnn/models/registry.h"
#include "cnn/onnx/export.h"
#include "cnn/train/trained_model.h"
#include "commands.h"
#include "options.h"

namespace cnn::tool {
namespace {

struct ExportConfig {
  std::string source, output;
  std::string input;  // HxWxC; empty: the checkpoint's, or 224x224x3 for a zoo model
  int64_t batch = 1;
  int64_t classes = 10;
  int64_t opset = 17;
  bool static_batch = false, fold_bn = false, nhwc = false;
};

int run_export(const ExportConfig& c) {
  namespace fs = std::filesystem;
  std::shared_ptr<nn::Module> model;
  Shape image;  // [H, W, C]
  onnx::SaveOptions options{.opset = c.opset,
                            .nchw_interface = !c.nhwc,
                            .dynamic_batch = !c.static_batch,
                            .fold_batch_norm = c.fold_bn};
  std::string what;
  if (fs::exists(c.source)) {
    train::TrainedModel t = train::load_trained_model(c.source);
    model = t.model;
    image = c.input.empty() ? t.input_shape : *parse_image_shape(c.input);
    what = t.config.model + " from " + t.path;
    // the keys cnn's own loader reads back (train::load_trained_model of an .onnx file)
    options.metadata = {
        {"cnn.classes", nlohmann::json(t.classes).dump()},
        {"cnn.input_shape", nlohmann::json(t.input_shape).dump()},
        {"cnn.normalization",
         nlohmann::json({{"mean", t.normalization.mean}, {"std", t.normalization.stddev}}).dump()},
        {"cnn.data", t.config.data},
        {"cnn.model", t.config.model}};
  } else if (models::exists(c.source)) {
    image = *parse_image_shape(c.input.empty() ? std::string("224x224x3") : c.input);
    Generator gen(0);
    model = models::create(c.source, {.classes = c.classes, .in_channels = image[2]}, gen);
    what = c.source + " (random weights)";
    options.metadata = {{"cnn.model", c.source}};
  } else {
    throw CLI::ValidationError("RUN_OR_MODEL",
                               "'" + c.source +
                                   "' is neither a run folder, a checkpoint nor a registered model "
                                   "(cnn summary --list names the models)");
  }
  const Shape input{c.batch, image[0], image[1], image[2]};
  onnx::save(*model, input, c.output, options);
  const auto bytes = static_cast<long long>(fs::file_size(c.output));
  std::printf("%s -> %s: opset %lld, input '%s' %s [%s, %lld, %lld, %lld], %lld bytes\n",
              what.c_str(), c.output.c_str(), static_cast<long long>(c.opset),
              options.input_name.c_str(), c.nhwc ? "NHWC" : "NCHW",
              c.static_batch ? std::to_string(c.batch).c_str() : "batch",
              static_cast<long long>(c.nhwc ? image[0] : image[2]),
              static_cast<long long>(c.nhwc ? image[1] : image[0]),
              static_cast<long long>(c.nhwc ? image[2] : image[1]), bytes);
  return 0;
}

}  // namespace

Run add_export_command(CLI::App& app) {
  auto config = std::make_shared<ExportConfig>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a trained or zoo model as an ONNX model (NCHW input 'input', output 'output')");
  cmd->add_option("RUN_OR_MODEL", config->source,
                  "a run folder, a checkpoint, or a registered model name (random weights)")
      ->required();
  cmd->add_option("OUT", config->output, "the .onnx file to write")
      ->required()
      ->check(CLI::Validator(
          [](std::string& value) {
            if (std::filesystem::path(value).extension() == ".onnx") return std::string();
            return "must end in .onnx, got '" + value + "'";
          },
          "FILE"));
  cmd->add_option("--input", config->input,
                  "the image shape HxWxC (default: the checkpoint's; 224x224x3 for a zoo model)")
      ->check(image_shape());
  cmd->add_option("--batch", config->batch,
                  "the batch size traced (and fixed, with --static-batch)")
      ->check(whole_in(1, train::limits::kMaxBatchSize))
      ->capture_default_str();
  cmd->add_option("--classes", config->classes, "outputs of a zoo model's classifier")
      ->check(whole_in(1, train::limits::kMaxClasses))
      ->capture_default_str();
  cmd->add_option("--opset", config->opset, "the ONNX opset, 11 to 17")
      ->check(CLI::Validator(
          [](std::string& value) {
            if (value.size() == 2 && value >= "11" && value <= "17") return std::string();
            return "must be an opset from 11 to 17, got '" + value + "'";
          },
          "11..17"))
      ->capture_default_str();
  cmd->add_flag("--static-batch", config->static_batch,
                "fix the batch dimension to --batch instead of a symbolic 'batch'");
  cmd->add_flag("--fold-bn", config->fold_bn,
                "fold each batch norm into the convolution before it");
  cmd->add_flag("--nhwc", config->nhwc,
                "keep cnn's NHWC layout at the graph's input and output (default: NCHW)");
  return [config] { return run_export(*config); };
}

}  // namespace cnn::tool
