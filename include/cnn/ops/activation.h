// Activation functions (the lecture's sigma) and dropout.
#pragma once

#include "cnn/generator.h"
#include "cnn/tensor.h"

namespace cnn {

Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softmax(const Tensor& x, int64_t dim = -1);
Tensor log_softmax(const Tensor& x, int64_t dim = -1);
// In training, zeroes each element with probability p and scales the rest by 1 / (1 - p);
// the identity in evaluation.
Tensor dropout(const Tensor& x, float p, bool training, Generator& gen);

}  // namespace cnn
