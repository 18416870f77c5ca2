#include "kernels/pool.h"

#include "kernels/cpu/pool.h"

namespace cnn::kernels {

void max_pool2d_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  cpu::max_pool2d_forward(g, x, y, argmax);
}
void max_pool2d_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  cpu::max_pool2d_backward(g, dy, argmax, dx);
}

void avg_pool2d_forward(const PoolGeometry& g, bool count_include_pad, const float* x, float* y) {
  cpu::avg_pool2d_forward(g, count_include_pad, x, y);
}
void avg_pool2d_backward(const PoolGeometry& g, bool count_include_pad, const float* dy,
                         float* dx) {
  cpu::avg_pool2d_backward(g, count_include_pad, dy, dx);
}

void adaptive_avg_pool2d_forward(const PoolGeometry& g, const float* x, float* y) {
  cpu::adaptive_avg_pool2d_forward(g, x, y);
}
void adaptive_avg_pool2d_backward(const PoolGeometry& g, const float* dy, float* dx) {
  cpu::adaptive_avg_pool2d_backward(g, dy, dx);
}

}  // namespace cnn::kernels
