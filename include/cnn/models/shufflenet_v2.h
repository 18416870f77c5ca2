/// \file
/// ShuffleNet v2 (Ma et al. 2018) as torchvision 0.14 builds it. Each unit splits the channels
/// in two (stride 1: one half passes untouched, the other goes through 1x1 -> depthwise 3x3 ->
/// 1x1; stride 2: both halves see the full input, one through depthwise 3x3 -> 1x1), joins
/// them with the lecture's concatenation and mixes them with a channel shuffle of 2 groups.
/// Stem conv1 (3x3/2) and maxpool, stages 2-4 of 4, 8, 4 units, conv5 (1x1), global average
/// pooling, fc. Initialization is PyTorch's layer default (torchvision sets none).
#pragma once

#include <memory>

#include "cnn/generator.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

/// Children branch1 (empty for stride 1), branch2, as torchvision's InvertedResidual.
class ShuffleUnit : public nn::Module {
 public:
  ShuffleUnit(int64_t in_channels, int64_t out_channels, int64_t stride, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  int64_t stride_;
  std::shared_ptr<nn::Sequential> branch1_, branch2_;
};

struct ShuffleNetV2Options {
  double width = 1.0;  ///< 0.5, 1.0, 1.5 or 2.0: stage widths 48/116/176/244 ... (torchvision's)
  int64_t classes = 1000;
  int64_t in_channels = 3;
};

class ShuffleNetV2 : public nn::Module {
 public:
  /// Raises cnn::Error for a width other than 0.5, 1.0, 1.5, 2.0.
  ShuffleNetV2(const ShuffleNetV2Options& options, Generator& gen);
  /// x [N, H, W, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Sequential> conv1_, stage2_, stage3_, stage4_, conv5_;
  std::shared_ptr<nn::MaxPool2d> maxpool_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace cnn::models
