// Reference kernels for the pointwise activations (clamp, hard sigmoid / swish and PReLU
// included), softmax along an axis, and dropout.
#pragma once

#include <cstdint>

#include "cnn/generator.h"
#include "cnn/shape.h"
#include "kernels/activation_types.h"

namespace cnn::kernels::ref {

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

// Clamp to [lo, hi] (lo <= hi not required; lo > hi gives hi everywhere, as PyTorch):
//   y = min(max(x, lo), hi)            (a NaN passes through, -0 stays -0)
//   dx = lo <= x <= hi ? dy : 0         (bounds inclusive; a NaN gets 0, as PyTorch)
void clamp_forward(float lo, float hi, const float* x, float* y, int64_t n);
void clamp_backward(float lo, float hi, const float* x, const float* dy, float* dx, int64_t n);

// Hard sigmoid, with z = alpha * x + beta computed in double (the product of two floats is
// exact there, so the result is rounded once, whatever the compiler contracts):
//   y = min(max(z, 0), 1)              (a NaN passes through)
//   dx = 0 < z < 1 ? alpha * dy : 0     (strictly inside, as PyTorch; a NaN gets 0)
void hardsigmoid_forward(float alpha, float beta, const float* x, float* y, int64_t n);
void hardsigmoid_backward(float alpha, float beta, const float* x, const float* dy, float* dx,
                          int64_t n);

// Hard swish, in PyTorch's order of operations:
//   y = x * min(max(x + 3, 0), 6) / 6
//   dx = x < -3 ? 0 : x >= 3 ? dy : dy * (x / 3 + 0.5)
// The boundaries are those of PyTorch 1.13's vectorized kernel, which computes all but the
// last few elements of a tensor: dx(-3) = -0.5 dy, dx(3) = dy, and a NaN x gives a NaN dx.
// (Its scalar tail gives dx(3) = 1.5 dy and passes dy through for a NaN.)
void hardswish_forward(const float* x, float* y, int64_t n);
void hardswish_backward(const float* x, const float* dy, float* dx, int64_t n);

// PReLU over a dense x of shape `shape`, with a dense `slope` of shape `slope_shape` that
// broadcasts to it by NumPy's rules (aligned at the last dimension; extents 1 stretch):
//   y = x > 0 ? x : slope * x
void prelu_forward(const float* x, const Shape& shape, const float* slope, const Shape& slope_shape,
                   float* y);
// dx = x > 0 ? dy : slope * dy (x-shaped; skipped when null);
// dslope = sum over the broadcast dimensions of (x > 0 ? 0 : x * dy), accumulated in double
// (slope-shaped, overwritten; skipped when null). A NaN x gives slope * dy and a NaN dslope.
void prelu_backward(const float* x, const Shape& shape, const float* slope,
                    const Shape& slope_shape, const float* dy, float* dx, float* dslope);

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
