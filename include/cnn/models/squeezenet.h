/// \file
/// SqueezeNet (Iandola et al., 2016) as torchvision 0.14 builds it, versions 1.0 and 1.1.
/// A Fire module squeezes with a 1x1 convolution, then expands with 1x1 and 3x3 convolutions
/// side by side whose outputs are concatenated over channels (the lecture's L1 ; L2). The
/// classifier is Dropout, a 1x1 convolution to the classes, ReLU and global average pooling.
/// Children features, classifier; keys features.3.squeeze.weight, classifier.1.weight, ...
/// Initialization as torchvision's: the final convolution normal(0, 0.01), the others
/// kaiming_uniform (fan_in, gain sqrt(2)), every bias 0.
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/models/registry.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

class Fire : public nn::Module {
 public:
  Fire(int64_t in_planes, int64_t squeeze_planes, int64_t expand1x1_planes,
       int64_t expand3x3_planes, Generator& gen);
  /// [N, H, W, in] -> [N, H, W, expand1x1 + expand3x3]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> squeeze_, expand1x1_, expand3x3_;
};

class SqueezeNet : public nn::Module {
 public:
  /// version "1_0" or "1_1"; raises cnn::Error for another.
  SqueezeNet(const ModelOptions& options, const std::string& version, Generator& gen,
             float dropout = 0.5f);
  /// x [N, H, W, in_channels] -> logits [N, classes]; H, W >= 21 for 1_0, >= 17 for 1_1.
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Sequential> features_, classifier_;
};

std::shared_ptr<nn::Module> squeezenet(const ModelOptions& options, const std::string& version,
                                       Generator& gen);

}  // namespace cnn::models
