/// \file
/// Adam and AdamW with PyTorch's update rules (torch.optim.Adam / AdamW), so hyper-parameters
/// carry over. Per element, with g the gradient and t the parameter's own update count
/// (1 on its first update; a parameter skipped for lack of a gradient does not count):
/// ```text
///   Adam:  g = g + weight_decay * p                 (L2 penalty folded into the gradient)
///   AdamW: p = p * (1 - lr * weight_decay)          (decoupled decay, before the update)
///   m = beta1 * m + (1 - beta1) * g                 (first moment)
///   v = beta2 * v + (1 - beta2) * g * g             (second moment)
///   v_max = max(v_max, v)                           (amsgrad only; then v_max replaces v below)
///   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// ```
/// eps is added outside the square root and after the bias correction, as PyTorch does.
/// State per parameter: "exp_avg" (m), "exp_avg_sq" (v), "max_exp_avg_sq" (amsgrad only) and
/// "step" (t, an int64 scalar): PyTorch's state names.
#pragma once

#include <vector>

#include "cnn/optim/optimizer.h"

namespace cnn::optim {

/// The betas are double, as PyTorch's Python floats: they enter as 1 - beta, and 1 - 0.999f is
/// 1.3e-5 (relative) away from 1 - 0.999, which would bias every second moment by that much.
struct AdamOptions {
  float lr = 1e-3f;
  double beta1 = 0.9;
  double beta2 = 0.999;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
  bool amsgrad = false;
};

/// The same fields; PyTorch's AdamW decays by default.
struct AdamWOptions {
  float lr = 1e-3f;
  double beta1 = 0.9;
  double beta2 = 0.999;
  float eps = 1e-8f;
  float weight_decay = 1e-2f;
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  /// Raises cnn::Error for a negative or non-finite lr, eps or weight_decay, or a beta
  /// outside [0, 1).
  Adam(std::vector<Tensor> params, const AdamOptions& options);
  /// The options, with lr the current learning rate.
  AdamOptions options() const;

 protected:
  std::vector<StateSlot> slots() const override;
  void update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, bool first) override;

 private:
  AdamOptions options_;
};

class AdamW : public Optimizer {
 public:
  /// The same checks as Adam's.
  AdamW(std::vector<Tensor> params, const AdamWOptions& options);
  AdamWOptions options() const;

 protected:
  std::vector<StateSlot> slots() const override;
  void update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, bool first) override;

 private:
  AdamWOptions options_;
};

}  // namespace cnn::optim
