// Activation functions (the lecture's sigma) and dropout.
#pragma once

#include "cnn/generator.h"
#include "cnn/tensor.h"

namespace cnn {

// At the kinks the gradient follows PyTorch: relu'(0) = 0, relu6'(0) = relu6'(6) = 0,
// leaky_relu'(0) = negative_slope.
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
// Along `dim` (negative counts from the end), stabilized by subtracting the maximum.
Tensor softmax(const Tensor& x, int64_t dim = -1);
Tensor log_softmax(const Tensor& x, int64_t dim = -1);
// In training, zeroes each element with probability p and scales the rest by 1 / (1 - p);
// the identity (x itself) in evaluation or for p = 0. p must lie in [0, 1). The mask comes
// from `gen`, one draw per element in order, and the backward pass reuses it.
Tensor dropout(const Tensor& x, float p, bool training, Generator& gen);

}  // namespace cnn
