/// \file
/// Pooling layers over NHWC activations; they take the options of the pooling ops.
#pragma once

#include <string>

#include "cnn/nn/module.h"
#include "cnn/ops/pool.h"
#include "cnn/shape.h"

namespace cnn::nn {

/// The lecture's L'[b, x, y, i] = max_{dx, dy} L[b, s*x + dx, s*y + dy, i].
class MaxPool2d : public Module {
 public:
  /// e.g. MaxPool2d({.kernel = 3, .stride = 2, .padding = 1}); stride 0 means the kernel.
  explicit MaxPool2d(const MaxPool2dOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string name() const override;
  const MaxPool2dOptions& options() const { return options_; }

 private:
  MaxPool2dOptions options_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(const AvgPool2dOptions& options);
  Tensor forward(const Tensor& x) override;
  std::string name() const override;
  const AvgPool2dOptions& options() const { return options_; }

 private:
  AvgPool2dOptions options_;
};

/// [N, H, W, C] -> [N, output_size.h, output_size.w, C]; output (1, 1) is global average pooling.
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size);
  Tensor forward(const Tensor& x) override;
  std::string name() const override;
  Size2 output_size() const { return output_size_; }

 private:
  Size2 output_size_;
};

}  // namespace cnn::nn
