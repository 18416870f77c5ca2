/// \file
/// The model zoo: builders registered by name ("resnet20", later torchvision's names), so
/// programs and the command line create any model from a string.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cnn/generator.h"
#include "cnn/nn/module.h"

namespace cnn::models {

struct ModelOptions {
  int64_t classes = 10;
  int64_t in_channels = 3;
  /// GoogLeNet and Inception v3 only (refused by other builders): torchvision's
  /// transform_input, which their pretrained weights expect (models/googlenet.h).
  bool transform_input = false;
};

using Builder = std::function<std::shared_ptr<nn::Module>(const ModelOptions&, Generator&)>;

/// Creates the model registered as `name`; raises cnn::Error listing the known names.
std::shared_ptr<nn::Module> create(const std::string& name, const ModelOptions& options,
                                   Generator& gen);
/// Registered names, sorted.
std::vector<std::string> names();
bool exists(const std::string& name);

}  // namespace cnn::models
