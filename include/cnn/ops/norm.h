/// \file
/// Normalization layers.
#pragma once

#include "cnn/tensor.h"

namespace cnn::distributed {
class Communicator;
}

namespace cnn {

struct BatchNormOptions {
  bool training = true;
  float momentum = 0.1f;  ///< running = (1 - momentum) * running + momentum * batch statistic
  float eps = 1e-5f;
  /// Sync batch norm: in training, the statistics are those of every rank's x together (each
  /// rank's count, mean and variance all-gathered and combined in rank order), and backward
  /// sums its two per-channel terms over the ranks, so that each rank's output and input
  /// gradient are those of batch_norm over the ranks' batches concatenated. gamma's and beta's
  /// gradients stay this rank's share (the gradient reducer sums them). A rank may have no
  /// rows; the ranks together need more than one. Every rank calls it, in the same order.
  distributed::Communicator* sync = nullptr;
};

/// Spatial batch normalization as the lecture defines it, over x [..., C] (channels last):
/// statistics per channel over every other dimension (batch, rows, cols).
/// Training: y = gamma * (x - mu) / sqrt(var + eps) + beta with the batch mean mu and the
/// *biased* batch variance var (divide by n), as PyTorch does; the running estimates, when
/// defined, are updated in place with the batch mean and the *unbiased* variance (divide by
/// n - 1), the lecture's sigma-hat. Evaluation: the running estimates replace the batch
/// statistics. gamma and beta may be undefined (no affine transform). gamma, beta and the
/// running estimates have shape [C]; x needs rank >= 2, and training needs more than one value
/// per channel (as in PyTorch).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& gamma, const Tensor& beta, const BatchNormOptions& options = {});

/// relu(batch_norm(x, ...) + residual) as one op (residual undefined: relu(batch_norm(x, ...))),
/// the end of a basic block in training: the normalization, the add and the ReLU run in one
/// pass after the statistics' pass, and the backward's sums take the ReLU's gate from y, so
/// the data are read and written fewer times than by the three ops. Outputs and gradients are
/// those of the three ops, bit for bit (the same formulas in the same order). residual, when
/// defined, is float32 with the shape of x; the rest is as batch_norm.
Tensor batch_norm_relu(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                       const Tensor& gamma, const Tensor& beta,
                       const BatchNormOptions& options = {}, const Tensor& residual = Tensor());

struct LocalResponseNormOptions {
  int64_t size = 5;
  float alpha = 1e-4f;
  float beta = 0.75f;
  float k = 1.0f;
};

/// AlexNet's local response normalization across channels, PyTorch's definition:
/// y[c] = x[c] / (k + alpha / size * sum_{c' in window(c)} x[c']^2) ^ beta, with the window
/// covering channels c - size/2 .. c + (size-1)/2, zero beyond the edges. x [..., C].
Tensor local_response_norm(const Tensor& x, const LocalResponseNormOptions& options = {});

}  // namespace cnn
