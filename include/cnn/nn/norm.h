/// \file
/// Normalization layers: spatial batch normalization (the lecture's mu-hat, sigma-hat, gamma,
/// beta) and AlexNet's local response normalization.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cnn/nn/module.h"
#include "cnn/ops/norm.h"

namespace cnn::nn {

struct BatchNorm2dOptions {
  float eps = 1e-5f;
  float momentum = 0.1f;  ///< running = (1 - momentum) * running + momentum * batch statistic
  bool affine = true;     ///< learn weight (gamma) and bias (beta)
  bool track_running_stats = true;
};

/// State, with torchvision's names: parameters `weight` (gamma, ones) and `bias` (beta, zeros)
/// [C]; buffers `running_mean` (zeros) and `running_var` (ones) [C], and `num_batches_tracked`,
/// an int64 scalar counting training forwards. In training the batch statistics normalize and
/// update the running ones; in evaluation the running ones normalize. Without running
/// statistics the batch ones are used in both modes, as in PyTorch.
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t num_features, const BatchNorm2dOptions& options = {});

  /// x [N, H, W, num_features] -> same shape
  Tensor forward(const Tensor& x) override;
  /// relu(forward(x) + residual) (residual may be undefined), the same values and gradients,
  /// and the same state updates. In training it runs as one op, cnn::batch_norm_relu, which
  /// reads and writes the activations fewer times; in evaluation, or while a ForwardObserver
  /// watches, it calls this module through operator() and then add and relu.
  Tensor forward_relu(const Tensor& x, const Tensor& residual = Tensor());
  std::string name() const override;
  int64_t state_version() const override { return 2; }  ///< with num_batches_tracked

  const Tensor& weight() const { return weight_; }  ///< undefined unless affine
  const Tensor& bias() const { return bias_; }
  const Tensor& running_mean() const { return running_mean_; }  ///< undefined unless tracked
  const Tensor& running_var() const { return running_var_; }
  const Tensor& num_batches_tracked() const { return num_batches_tracked_; }
  int64_t num_features() const { return num_features_; }
  const BatchNorm2dOptions& options() const { return options_; }
  /// Sync batch norm in training over `comm`'s ranks (BatchNormOptions::sync); nullptr: off.
  /// distributed::set_sync_batch_norm sets it on every BatchNorm2d of a model.
  void set_sync(std::shared_ptr<distributed::Communicator> comm) { sync_ = std::move(comm); }
  const std::shared_ptr<distributed::Communicator>& sync() const { return sync_; }

 private:
  BatchNormOptions op_options(const Tensor& x) const;  ///< checks x's shape
  void count_batch();

  int64_t num_features_;
  BatchNorm2dOptions options_;
  Tensor weight_;
  Tensor bias_;
  Tensor running_mean_;
  Tensor running_var_;
  Tensor num_batches_tracked_;
  std::shared_ptr<distributed::Communicator> sync_;
};

/// y[c] = x[c] / (k + alpha / size * sum_{c' in window(c)} x[c']^2) ^ beta across channels.
class LocalResponseNorm : public Module {
 public:
  explicit LocalResponseNorm(const LocalResponseNormOptions& options = {});
  Tensor forward(const Tensor& x) override;
  std::string name() const override;
  const LocalResponseNormOptions& options() const { return options_; }

 private:
  LocalResponseNormOptions options_;
};

}  // namespace cnn::nn
