/// \file
/// Stochastic gradient descent with momentum, Nesterov momentum and weight decay, with
/// PyTorch's update rule (torch.optim.SGD) so that hyper-parameters carry over. Per element,
/// with g the gradient and v the momentum buffer:
/// ```text
///   d = g + weight_decay * p                       (L2 penalty folded into the gradient)
///   v = d                                          on the parameter's first update,
///   v = momentum * v + (1 - dampening) * d         afterwards          (when momentum > 0)
///   d = nesterov ? d + momentum * v : v                                (when momentum > 0)
///   p = p - lr * d
/// ```
/// State per parameter: "momentum_buffer" (only when momentum > 0).
#pragma once

#include <vector>

#include "cnn/optim/optimizer.h"

namespace cnn::optim {

struct SGDOptions {
  float lr = 0.1f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  /// Raises cnn::Error for a negative or non-finite lr, momentum or weight_decay, a dampening
  /// outside [0, 1], or Nesterov without momentum > 0 and dampening = 0 (PyTorch's rules).
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  /// The options, with lr the current learning rate.
  SGDOptions options() const;

 protected:
  std::vector<StateSlot> slots() const override;
  void update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, bool first) override;

 private:
  SGDOptions options_;
};

}  // namespace cnn::optim
