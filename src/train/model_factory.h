// The model a run trains: a zoo model built by name, or an ONNX file imported and adapted to
// the data (a fresh classifier for another class count, the first convolution summed over its
// input channels for single-channel images).
#pragma once

#include <memory>
#include <string>

#include "cnn/generator.h"
#include "cnn/nn/module.h"
#include "cnn/shape.h"
#include "cnn/train/config.h"

namespace cnn::train {

// Whether a --model value names an ONNX file rather than a zoo model.
bool is_onnx_model(const std::string& model);

// The ONNX file a run of `config` reads: its copy in the run folder once the run exists, else
// the file the user named.
std::string onnx_model_file(const TrainConfig& config);

struct BuiltModel {
  std::shared_ptr<nn::Module> model;
  Shape input_shape;  // [H, W, C] the model takes
};

// `data_shape` is [H, W, C] of the data (after --resize). Zoo models take the data's shape;
// an ONNX model with static spatial extents takes those (images are resized to them). Raises
// cnn::Error when an ONNX model's classes differ from `classes` and config.num_classes does not
// say to replace its classifier, or its channels cannot be adapted.
BuiltModel build_model(const TrainConfig& config, int64_t classes, const Shape& data_shape,
                       Generator& gen);

}  // namespace cnn::train
