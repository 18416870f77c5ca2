/// \file
/// MNASNet-B1 (Tan et al. 2019) as torchvision 0.14 builds it (version 2 of its layout): a stem
/// of 3x3/2 convolution, depthwise 3x3 and 1x1 projection, six stacks of inverted residual
/// blocks (1x1 expansion, depthwise 3x3 or 5x5, linear 1x1 projection; the input added back
/// when stride 1 and width unchanged), a 1x1 convolution to 1280 channels, global average
/// pooling, dropout 0.2 and a linear layer. The depth multiplier alpha scales the widths
/// 32, 16, 24, 40, 80, 96, 192, 320 (rounded to multiples of 8). Batch norm momentum is
/// torchvision's _BN_MOMENTUM = 1 - 0.9997 (PyTorch's convention, as BatchNorm2dOptions).
#pragma once

#include <memory>
#include <vector>

#include "cnn/generator.h"
#include "cnn/nn/layers.h"

namespace cnn::models {

/// Child `layers`: Sequential [conv 1x1, bn, relu, dw conv kxk, bn, relu, conv 1x1, bn].
class MnasBlock : public nn::Module {
 public:
  MnasBlock(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
            int64_t expansion, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  bool residual_;
  std::shared_ptr<nn::Sequential> layers_;
};

struct MnasNetOptions {
  double alpha = 1.0;  ///< torchvision registers 0.5, 0.75, 1.0, 1.3
  int64_t classes = 1000;
  int64_t in_channels = 3;
  float dropout = 0.2f;
};

/// torchvision's _get_depths: each width * alpha rounded to a multiple of 8, up unless that
/// would undershoot 90% of the exact value.
std::vector<int64_t> mnasnet_depths(double alpha);

/// Initialization as torchvision's: convolutions kaiming_normal (fan_out, relu), batch norm
/// 1 / 0, linear weight kaiming_uniform (fan_out, gain 1 of sigmoid), biases 0.
class MnasNet : public nn::Module {
 public:
  MnasNet(const MnasNetOptions& options, Generator& gen);
  /// x [N, H, W, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override;
  /// torchvision's MNASNet is at version 2 (version 1 had a different stem)
  int64_t state_version() const override { return 2; }

 private:
  std::shared_ptr<nn::Sequential> layers_, classifier_;
};

}  // namespace cnn::models
