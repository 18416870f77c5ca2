/// \file
/// The small-image ResNets of He et al. (2015), section 4.2: a 3x3 convolution with 16
/// filters, then three stages of n basic blocks with 16, 32 and 64 filters (the first block of
/// the second and third stage halves the grid with stride 2), global average pooling and a
/// fully connected layer: 6n + 2 weighted layers (ResNet-20 has n = 3). Shortcuts are the
/// lecture's identity, and where the grid halves and the channels double, its
/// L~[b, x, y, j] = L[b, 2x, 2y, j] zero-filled for the new channels (option A: no parameters).
/// The "plain" networks are the same without shortcuts.
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

struct ResNetCifarOptions {
  int64_t depth = 20;  ///< 6n + 2: 20, 32, 44, 56, 110, ...
  int64_t classes = 10;
  int64_t in_channels = 3;
  bool residual = true;  ///< false: the plain network of the paper's figure 6
};

/// conv-bn-relu-conv-bn, plus the shortcut, then relu. Parameter names follow torchvision's
/// BasicBlock: conv1, bn1, conv2, bn2.
class BasicBlockCifar : public nn::Module {
 public:
  BasicBlockCifar(int64_t in_channels, int64_t out_channels, int64_t stride, bool residual,
                  Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_;
  int64_t stride_, out_channels_;
  bool residual_;
};

/// Children: conv1, bn1, layer1, layer2, layer3 (Sequentials of blocks), fc - so keys read
/// "layer2.0.conv1.weight" as in torchvision.
class ResNetCifar : public nn::Module {
 public:
  ResNetCifar(const ResNetCifarOptions& options, Generator& gen);
  /// x [N, H, W, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override;
  /// The last stage's features [N, ceil(H/4), ceil(W/4), 64], before global pooling.
  Tensor features(const Tensor& x);
  /// Fully-convolutional evaluation: the classifier applied at every position of the features
  /// instead of to their average, [N, ceil(H/4), ceil(W/4), classes]; one score vector per
  /// 4x4 block of a (possibly larger) input image, each seeing its receptive field.
  Tensor class_score_map(const Tensor& x);
  const ResNetCifarOptions& options() const { return options_; }

 private:
  ResNetCifarOptions options_;
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::Sequential> layer1_, layer2_, layer3_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace cnn::models
