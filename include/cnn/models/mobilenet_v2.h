/// \file
/// MobileNet v2 (Sandler et al. 2018) as torchvision 0.14 builds it (width 1.0): inverted
/// residual blocks, each a 1x1 expansion by t (omitted for t = 1), a depthwise 3x3 convolution
/// (groups = channels) and a linear 1x1 projection, with batch norm after every convolution and
/// ReLU6 after the first two; blocks that keep stride 1 and width add their input (the lecture's
/// residual). features = stem (3x3/2, 32) + 17 blocks + 1x1 to 1280; classifier = dropout 0.2,
/// linear. Minimum input 1x1.
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

/// Child `conv`, a Sequential [Conv2dNormActivation(1x1)], Conv2dNormActivation(dw 3x3), Conv2d,
/// BatchNorm2d] as torchvision's.
class MobileNetV2Block : public nn::Module {
 public:
  MobileNetV2Block(int64_t in_channels, int64_t out_channels, int64_t stride, int64_t expand_ratio,
                   Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  bool residual_;
  std::shared_ptr<nn::Sequential> conv_;
};

struct MobileNetV2Options {
  int64_t classes = 1000;
  int64_t in_channels = 3;
  float dropout = 0.2f;
};

/// Initialization as torchvision's: convolutions kaiming_normal (fan_out), batch norm 1 / 0,
/// linear weight normal (0, 0.01), bias 0.
class MobileNetV2 : public nn::Module {
 public:
  MobileNetV2(const MobileNetV2Options& options, Generator& gen);
  /// x [N, H, W, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Sequential> features_, classifier_;
};

}  // namespace cnn::models
