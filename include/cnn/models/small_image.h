/// \file
/// Networks from the papers' small-image (CIFAR, 32x32) experiments that torchvision lacks:
///  - DenseNet-BC with L = 100, k = 12 (Huang et al. 2017, table 2: 0.8M parameters): a 3x3
/// ```text
///    stem of 2k channels, three dense blocks of 16 bottleneck layers, compression 0.5; the
///    DenseNet module of densenet.h with small_input.
/// ```
///  - Wide ResNet 28-10 (Zagoruyko & Komodakis 2016, table 1 / 3: 36.5M parameters):
/// ```text
///    pre-activation basic blocks (bn-relu-conv3x3-bn-relu-conv3x3), (28 - 4) / 6 = 4 per stage,
///    widths 16k, 32k, 64k with k = 10, no dropout.
/// ```
///  - ResNet-164 (He et al. 2016, "Identity mappings in deep residual networks", table 3 / 5:
/// ```text
///    1.7M parameters): pre-activation bottlenecks (bn-relu-conv1x1-bn-relu-conv3x3-bn-relu-
///    conv1x1, 4x expansion), (164 - 2) / 9 = 18 per stage, bottleneck widths 16, 32, 64.
/// ```
/// In both residual families a block that changes width or grid takes its shortcut through a
/// 1x1 convolution of the pre-activated input (the papers' code); the others add the input
/// itself. Stem conv1 (3x3, 16), stages layer1..3 (strides 1, 2, 2), final bn, relu, global
/// average pooling, fc. Convolutions are initialized kaiming_normal (fan_out), as the papers'
/// code does.
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/models/densenet.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

/// Pre-activation residual block; basic (two 3x3) or bottleneck (1x1, 3x3, 1x1 to 4 * width).
/// Children bn1, conv1, bn2, conv2 [, bn3, conv3] [, shortcut].
class PreActBlock : public nn::Module {
 public:
  PreActBlock(int64_t in_channels, int64_t width, int64_t stride, bool bottleneck, Generator& gen);
  Tensor forward(const Tensor& x) override;
  int64_t out_channels() const { return out_channels_; }

 private:
  int64_t out_channels_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, conv3_, shortcut_;
};

struct PreActResNetOptions {
  int64_t blocks_per_stage = 4;
  int64_t widths[3] = {160, 320, 640};  ///< block widths of the stages (bottleneck: before 4x)
  bool bottleneck = false;
  int64_t classes = 10;
  int64_t in_channels = 3;
};

class PreActResNet : public nn::Module {
 public:
  PreActResNet(const PreActResNetOptions& options, Generator& gen);
  /// x [N, H, W, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::Sequential> layer1_, layer2_, layer3_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
  std::shared_ptr<nn::Linear> fc_;
};

/// Wide ResNet depth-k: depth = 6n + 4 (28 -> n = 4), widths 16k, 32k, 64k.
PreActResNetOptions wide_resnet_options(int64_t depth, int64_t widen);
/// Pre-activation bottleneck ResNet: depth = 9n + 2 (164 -> n = 18), widths 16, 32, 64.
PreActResNetOptions preact_bottleneck_options(int64_t depth);
/// DenseNet-BC for small images: depth = 6n + 4 (100 -> three blocks of 16 layers), growth k,
/// stem 2k channels, compression 0.5.
DenseNetOptions densenet_bc_small_options(int64_t depth, int64_t growth_rate);

}  // namespace cnn::models
