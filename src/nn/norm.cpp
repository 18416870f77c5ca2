#include "cnn/nn/norm.h"

#include <sstream>

#include "cnn/ops/activation.h"
#include "cnn/ops/elementwise.h"
#include "nn/observed.h"

namespace cnn::nn {

BatchNorm2d::BatchNorm2d(int64_t num_features, const BatchNorm2dOptions& options)
    : Module("BatchNorm2d"), num_features_(num_features), options_(options) {
  CNN_CHECK(num_features > 0, "BatchNorm2d: num_features must be positive, got ", num_features);
  CNN_CHECK(options.eps > 0.0f, "BatchNorm2d: eps must be positive, got ", options.eps);
  CNN_CHECK(options.momentum >= 0.0f && options.momentum <= 1.0f,
            "BatchNorm2d: momentum must lie in [0, 1], got ", options.momentum);
  if (options.affine) {
    weight_ = register_parameter("weight", Tensor::ones({num_features}));
    bias_ = register_parameter("bias", Tensor::zeros({num_features}));
  }
  if (options.track_running_stats) {
    running_mean_ = register_buffer("running_mean", Tensor::zeros({num_features}));
    running_var_ = register_buffer("running_var", Tensor::ones({num_features}));
    num_batches_tracked_ = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::i64));
  }
}

BatchNormOptions BatchNorm2d::op_options(const Tensor& x) const {
  CNN_CHECK(x.defined() && x.dim() == 4 && x.size(3) == num_features_, name(),
            ": expected x [batch, rows, cols, ", num_features_, "], got shape ",
            x.defined() ? to_string(x.shape()) : "undefined");
  // Without running statistics there is nothing else to normalize with, so the batch
  // statistics are used in evaluation too (PyTorch does the same).
  const bool batch_statistics = is_training() || !options_.track_running_stats;
  return {.training = batch_statistics,
          .momentum = options_.momentum,
          .eps = options_.eps,
          .sync = is_training() ? sync_.get() : nullptr};
}

void BatchNorm2d::count_batch() {
  // Counted after a successful call, so a rejected input leaves the count alone.
  if (is_training() && options_.track_running_stats) num_batches_tracked_.data_i64()[0] += 1;
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  Tensor y = batch_norm(x, running_mean_, running_var_, weight_, bias_, op_options(x));
  count_batch();
  return y;
}

Tensor BatchNorm2d::forward_relu(const Tensor& x, const Tensor& residual) {
  if (!is_training() || detail::forwards_observed()) {
    const Tensor y = (*this)(x);
    return relu(residual.defined() ? add(residual, y) : y);
  }
  Tensor y =
      batch_norm_relu(x, running_mean_, running_var_, weight_, bias_, op_options(x), residual);
  count_batch();
  return y;
}

std::string BatchNorm2d::name() const {
  std::ostringstream out;
  out << "BatchNorm2d(" << num_features_ << ", eps=" << options_.eps
      << ", momentum=" << options_.momentum;
  if (!options_.affine) out << ", affine=false";
  if (!options_.track_running_stats) out << ", track_running_stats=false";
  out << ')';
  return out.str();
}

LocalResponseNorm::LocalResponseNorm(const LocalResponseNormOptions& options)
    : Module("LocalResponseNorm"), options_(options) {
  CNN_CHECK(options.size > 0, "LocalResponseNorm: size must be positive, got ", options.size);
}

Tensor LocalResponseNorm::forward(const Tensor& x) {
  return local_response_norm(x, options_);
}

std::string LocalResponseNorm::name() const {
  std::ostringstream out;
  out << "LocalResponseNorm(" << options_.size << ", alpha=" << options_.alpha
      << ", beta=" << options_.beta << ", k=" << options_.k << ')';
  return out.str();
}

}  // namespace cnn::nn
