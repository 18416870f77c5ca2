/// \file
/// VGG (Simonyan & Zisserman, 2014) as torchvision 0.14 builds it: configurations A, B, D, E
/// (11, 13, 16, 19 weighted layers) of 3x3 convolutions with padding 1 and 2x2 max pooling,
/// optionally with batch normalization after each convolution, then AdaptiveAvgPool2d to 7x7
/// and the classifier FC 4096, ReLU, Dropout, FC 4096, ReLU, Dropout, FC classes.
/// Children features, avgpool, classifier; keys features.0.weight, classifier.6.bias, ...
/// Initialization as torchvision's: convolutions kaiming_normal (fan_out, relu) with bias 0,
/// batch norm weight 1 and bias 0, linear layers normal(0, 0.01) with bias 0.
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/models/registry.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

struct VGGOptions {
  int64_t depth = 16;  ///< 11 (A), 13 (B), 16 (D) or 19 (E)
  bool batch_norm = false;
  float dropout = 0.5f;
};

class VGG : public nn::Module {
 public:
  /// Raises cnn::Error for a depth other than 11, 13, 16, 19.
  VGG(const ModelOptions& options, const VGGOptions& vgg, Generator& gen);
  /// x [N, H, W, in_channels] with H, W >= 32 -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Sequential> features_, classifier_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
};

std::shared_ptr<nn::Module> vgg(const ModelOptions& options, const VGGOptions& vgg, Generator& gen);

}  // namespace cnn::models
