// Stochastic gradient descent with momentum, Nesterov momentum and weight decay, with
// PyTorch's update rule so that hyper-parameters carry over:
//   d = g + weight_decay * p
//   v = momentum * v + (1 - dampening) * d        (v = d on the first step)
//   d = nesterov ? d + momentum * v : v           (when momentum > 0)
//   p = p - lr * d
#pragma once

#include <vector>

#include "cnn/tensor.h"

namespace cnn::optim {

struct SGDOptions {
  float lr = 0.1f;
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;
  bool nesterov = false;
};

class SGD {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  // Applies one update to every parameter that has a gradient.
  void step();
  // Clears the gradients of every parameter.
  void zero_grad();
  SGDOptions& options() { return options_; }
  const std::vector<Tensor>& params() const { return params_; }
  // Momentum buffers, one per parameter (undefined until its first step).
  const std::vector<Tensor>& momentum_buffers() const { return velocity_; }

 private:
  std::vector<Tensor> params_;
  std::vector<Tensor> velocity_;
  SGDOptions options_;
};

}  // namespace cnn::optim
