// The activation family: what ops call, with the contracts of kernels/ref/activation_ref.h.
// relu, relu6 and leaky_relu run the fast kernels of kernels/cpu/activation.h (the reference's
// bits; sigmoid and tanh pass through to the reference there); clamp, hard sigmoid and swish,
// PReLU, softmax and dropout run the reference kernels.
#pragma once

#include <cstdint>

#include "cnn/generator.h"
#include "cnn/shape.h"
#include "kernels/activation_types.h"

namespace cnn::kernels {

void activation_forward(Activation kind, float slope, const float* x, float* y, int64_t n);
void activation_backward(Activation kind, float slope, const float* x, const float* y,
                         const float* dy, float* dx, int64_t n);

void clamp_forward(float lo, float hi, const float* x, float* y, int64_t n);
void clamp_backward(float lo, float hi, const float* x, const float* dy, float* dx, int64_t n);

void hardsigmoid_forward(float alpha, float beta, const float* x, float* y, int64_t n);
void hardsigmoid_backward(float alpha, float beta, const float* x, const float* dy, float* dx,
                          int64_t n);

void hardswish_forward(const float* x, float* y, int64_t n);
void hardswish_backward(const float* x, const float* dy, float* dx, int64_t n);

void prelu_forward(const float* x, const Shape& shape, const float* slope, const Shape& slope_shape,
                   float* y);
void prelu_backward(const float* x, const Shape& shape, const float* slope,
                    const Shape& slope_shape, const float* dy, float* dx, float* dslope);

void softmax_forward(const float* x, int64_t outer, int64_t dim, int64_t inner, bool log, float* y);
void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t dim, int64_t inner,
                      bool log, float* dx);

void dropout_forward(const float* x, float p, Generator& gen, float* mask, float* y, int64_t n);

}  // namespace cnn::kernels
