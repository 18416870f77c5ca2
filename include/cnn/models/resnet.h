/// \file
/// The ImageNet ResNets of He et al. (2015) and their variants, as torchvision 0.14 builds
/// them: a 7x7/2 convolution with 64 filters, batch norm, ReLU, 3x3/2 max pooling, four stages
/// of blocks (64, 128, 256, 512 planes; stages 2-4 start with stride 2), global average pooling
/// and a fully connected layer.
/// ```text
///   BasicBlock (ResNet-18/34): conv3x3-bn-relu-conv3x3-bn, plus the shortcut, then relu.
///   Bottleneck (ResNet-50/101/152): the lecture's U = Conv'(1x1, J -> K), V = Conv'(3x3, K -> K),
///     R = Conv'(1x1, K -> 4 planes), L' = relu(L~ + R), with the stride on the 3x3 (ResNet v1.5).
///     ResNeXt sets groups G on the 3x3 and K = planes * width_per_group / 64 * G; Wide ResNet
///     doubles width_per_group.
/// ```
/// Where the shape changes, the shortcut L~ is downsample = conv1x1(stride) + batch norm
/// (option B). Keys are torchvision's: conv1.weight, layer1.0.conv1.weight,
/// layer2.0.downsample.0.weight, fc.weight, ... Initialization is torchvision's: convolutions
/// kaiming_normal (fan_out, relu), batch norm weight 1 and bias 0, fc PyTorch's default;
/// zero_init_residual is false.
#pragma once

#include <array>
#include <memory>

#include "cnn/generator.h"
#include "cnn/models/registry.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

enum class ResNetBlock { basic, bottleneck };

struct ResNetOptions {
  ResNetBlock block = ResNetBlock::basic;
  std::array<int64_t, 4> layers = {2, 2, 2, 2};  ///< blocks per stage
  int64_t groups = 1;                            ///< of the bottleneck's 3x3 (ResNeXt)
  int64_t width_per_group = 64;                  ///< 128: Wide ResNet-50-2
};

class BasicBlock : public nn::Module {
 public:
  BasicBlock(int64_t in_planes, int64_t planes, int64_t stride,
             std::shared_ptr<nn::Sequential> downsample, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<nn::Sequential> downsample_;  ///< null: the identity shortcut
};

class Bottleneck : public nn::Module {
 public:
  static constexpr int64_t expansion = 4;
  Bottleneck(int64_t in_planes, int64_t planes, int64_t stride,
             std::shared_ptr<nn::Sequential> downsample, int64_t groups, int64_t base_width,
             Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<nn::Sequential> downsample_;
};

/// Children: conv1, bn1, maxpool, layer1..layer4 (Sequentials of blocks), avgpool, fc.
class ResNet : public nn::Module {
 public:
  ResNet(const ModelOptions& options, const ResNetOptions& resnet, Generator& gen);
  /// x [N, H, W, in_channels] -> logits [N, classes]; any H, W >= 1.
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Sequential> make_layer(int64_t planes, int64_t blocks, int64_t stride,
                                             Generator& gen);

  ResNetOptions resnet_;
  int64_t in_planes_ = 64;
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::MaxPool2d> maxpool_;
  std::shared_ptr<nn::Sequential> layer1_, layer2_, layer3_, layer4_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
  std::shared_ptr<nn::Linear> fc_;
};

std::shared_ptr<nn::Module> resnet(const ModelOptions& options, const ResNetOptions& resnet,
                                   Generator& gen);

}  // namespace cnn::models
