/// \file
/// Losses. Class targets are int64 tensors of class indices.
#pragma once

#include "cnn/tensor.h"

namespace cnn {

enum class Reduction { mean, sum, none };

struct CrossEntropyOptions {
  float label_smoothing = 0.0f;  ///< the target puts 1 - s on the class and s / C on every class
  Reduction reduction = Reduction::mean;
};

/// logits [N, C], target int64 [N] -> scalar (or [N] with Reduction::none): per row
/// (1 - s) * -log p[target] + s * mean_c -log p[c], p = softmax(logits row), as in PyTorch.
/// Every target must lie in [0, C). Reduction::mean divides by N.
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options = {});
/// log_probs [N, C], target int64 [N]: -log_probs[n, target[n]].
Tensor nll_loss(const Tensor& log_probs, const Tensor& target,
                Reduction reduction = Reduction::mean);
/// Any shapes that are equal.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

}  // namespace cnn
