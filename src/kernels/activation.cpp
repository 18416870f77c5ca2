#include "kernels/activation.h"

#include "kernels/cpu/activation.h"
#include "kernels/ref/activation_ref.h"

namespace cnn::kernels {

void activation_forward(Activation kind, float slope, const float* x, float* y, int64_t n) {
  cpu::activation_forward(kind, slope, x, y, n);
}
void activation_backward(Activation kind, float slope, const float* x, const float* y,
                         const float* dy, float* dx, int64_t n) {
  cpu::activation_backward(kind, slope, x, y, dy, dx, n);
}

void clamp_forward(float lo, float hi, const float* x, float* y, int64_t n) {
  ref::clamp_forward(lo, hi, x, y, n);
}
void clamp_backward(float lo, float hi, const float* x, const float* dy, float* dx, int64_t n) {
  ref::clamp_backward(lo, hi, x, dy, dx, n);
}

void hardsigmoid_forward(float alpha, float beta, const float* x, float* y, int64_t n) {
  ref::hardsigmoid_forward(alpha, beta, x, y, n);
}
void hardsigmoid_backward(float alpha, float beta, const float* x, const float* dy, float* dx,
                          int64_t n) {
  ref::hardsigmoid_backward(alpha, beta, x, dy, dx, n);
}

void hardswish_forward(const float* x, float* y, int64_t n) {
  ref::hardswish_forward(x, y, n);
}
void hardswish_backward(const float* x, const float* dy, float* dx, int64_t n) {
  ref::hardswish_backward(x, dy, dx, n);
}

void prelu_forward(const float* x, const Shape& shape, const float* slope, const Shape& slope_shape,
                   float* y) {
  ref::prelu_forward(x, shape, slope, slope_shape, y);
}
void prelu_backward(const float* x, const Shape& shape, const float* slope,
                    const Shape& slope_shape, const float* dy, float* dx, float* dslope) {
  ref::prelu_backward(x, shape, slope, slope_shape, dy, dx, dslope);
}

void softmax_forward(const float* x, int64_t outer, int64_t dim, int64_t inner, bool log,
                     float* y) {
  ref::softmax_forward(x, outer, dim, inner, log, y);
}
void softmax_backward(const float* y, const float* dy, int64_t outer, int64_t dim, int64_t inner,
                      bool log, float* dx) {
  ref::softmax_backward(y, dy, outer, dim, inner, log, dx);
}

void dropout_forward(const float* x, float p, Generator& gen, float* mask, float* y, int64_t n) {
  ref::dropout_forward(x, p, gen, mask, y, n);
}

}  // namespace cnn::kernels
