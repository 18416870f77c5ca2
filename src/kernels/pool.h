// The pooling family: what ops call. Max, average and adaptive average pooling over NHWC,
// forward and backward, with the contracts of kernels/ref/pool_ref.h; they run the fast
// kernels of kernels/cpu/pool.h, which take every geometry (and give the reference's bits).
#pragma once

#include <cstdint>

#include "kernels/pool_types.h"

namespace cnn::kernels {

void max_pool2d_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax);
void max_pool2d_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx);

void avg_pool2d_forward(const PoolGeometry& g, bool count_include_pad, const float* x, float* y);
void avg_pool2d_backward(const PoolGeometry& g, bool count_include_pad, const float* dy, float* dx);

void adaptive_avg_pool2d_forward(const PoolGeometry& g, const float* x, float* y);
void adaptive_avg_pool2d_backward(const PoolGeometry& g, const float* dy, float* dx);

}  // namespace cnn::kernels
