/// \file
/// Conv2d: the lecture's convolution layer over NHWC activations,
/// ```text
///   L'[b, x, y, j] = sum_{dx,dy,i} W[dx, dy, i, j] Padd(L, p)[b, s*x + d*dx, s*y + d*dy, i] + B[j]
/// ```
/// holding W as `weight` [KH, KW, C/groups, O] (HWIO; torchvision's is OIHW [O, C/groups, KH, KW])
/// and B as `bias` [O].
#pragma once

#include <cstdint>
#include <string>

#include "cnn/generator.h"
#include "cnn/nn/module.h"
#include "cnn/ops/conv.h"
#include "cnn/shape.h"

namespace cnn::nn {

struct Conv2dOptions {
  Size2 kernel = 0;  ///< required: (KH, KW), or one number for a square kernel
  Size2 stride = 1;
  Pad2d padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  /// Initialized as PyTorch does: weight and bias uniform on (-1/sqrt(fan_in), 1/sqrt(fan_in))
  /// with fan_in = KH * KW * in_channels / groups (weight by kaiming_uniform with a = sqrt(5)).
  /// Raises cnn::Error on a non-positive size, or channels not divisible by groups.
  Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dOptions& options, Generator& gen);

  /// x [N, H, W, in_channels] -> [N, OH, OW, out_channels]
  Tensor forward(const Tensor& x) override;
  std::string name() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  ///< undefined with .bias = false
  int64_t in_channels() const { return in_channels_; }
  int64_t out_channels() const { return out_channels_; }
  const Conv2dOptions& options() const { return options_; }

 private:
  int64_t in_channels_;
  int64_t out_channels_;
  Conv2dOptions options_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace cnn::nn
