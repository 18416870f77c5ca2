// Reference kernels for the pointwise activations, softmax along an axis, and dropout.
#pragma once

#include <cstdint>

#include "cnn/generator.h"

namespace cnn::kernels::ref {

enum class Activation { relu, relu6, leaky_relu, sigmoid, tanh };

// y = f(x) over n values; `slope` is leaky_relu's negative slope (ignored by the others).
//   relu: max(x, 0)    relu6: min(max(x, 0), 6)    leaky_relu: x > 0 ? x : slope * x
//   sigmoid: 1 / (1 + e^-x)    tanh: tanh(x)
// max and min as std::max(v, 0) and std::min(v, 6) compute them: a NaN passes through and -0
// stays -0, as in PyTorch (torch.relu(nan) is nan).
void activation_forward(Activation kind, float slope, const float* x, float* y, int64_t n);

// dx = f'(x) * dy. The relu family reads x (PyTorch's subgradient: 0 at the kinks, i.e.
// relu' = [x > 0], relu6' = [0 < x < 6], leaky' = x > 0 ? 1 : slope; written as PyTorch's
// threshold tests, x <= 0 and x >= 6 give 0, so a NaN passes dy through); sigmoid and tanh
// read y: sigmoid' = y (1 - y), tanh' = 1 - y^2. The pointer a kind does not read may be null.
void activation_backward(Activation kind, float slope, const float* x, const float* y,
                         const float* dy, float* dx, int64_t n);

// Softmax along the middle axis of a dense [outer, dim, inner] array (inner = 1 when the axis
// is the last one), stabilized by subtracting the maximum, sums in double:
//   softmax:     y[d] = e^(x[d] - m) / sum_d' e^(x[d'] - m)
//   log_softmax: y[d] = x[d] - m - log(sum_d' e^(x[d'] - m))
void softmax_forward(const float* x, int64_t outer, int64_t dim, int64_t inner, bool log, float* y);

// Backward from the forward's output y:
//   softmax:     dx[d] = y[d] * (dy[d] - sum_d' dy[d'] * y[d'])
//   log_softmax: dx[d] = dy[d] - e^y[d] * sum_d' dy[d']
void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t dim, int64_t inner,
                      bool log, float* dx);

// Inverted dropout: mask[i] = 0 with probability p (one gen.uniform() per element, in order,
// so a seed fixes the mask whatever the thread count), else 1 / (1 - p); y = x * mask.
void dropout_forward(const float* x, float p, Generator& gen, float* mask, float* y, int64_t n);

}  // namespace cnn::kernels::ref
