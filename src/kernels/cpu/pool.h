// Pooling over dense NHWC tensors, fast: the contracts of kernels/ref/pool_ref.h (which stays
// the oracle) with the reference's bits. Every loop runs over a contiguous run of channels in
// functions compiled for AVX-512, AVX2 and baseline x86-64 (CNN_TARGET_CLONES), and every
// pass splits rows (batch * rows) over the threads:
//   - max pooling keeps the reference's rule (first maximum in scan order wins a tie, NaN
//     wins) and its argmax; the backward is a gather per input row over the windows spanning
//     it, adding the winners' gradients in (oh, ow) order as the reference does;
//   - average pooling sums each window in double in the reference's (ih, iw) order and
//     divides the same way; the backward first divides dy by each window's divisor (the
//     reference's float division, so the same shares), then gathers per input row, adding the
//     shares in (oh, ow) order from 0, which is the order of the reference's scatter.
// Each output element is computed by one thread in a fixed order: the same bits for any
// thread count.
#pragma once

#include <cstdint>

#include "kernels/pool_types.h"

namespace cnn::kernels::cpu {

void max_pool2d_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax);
void max_pool2d_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx);

void avg_pool2d_forward(const PoolGeometry& g, bool count_include_pad, const float* x, float* y);
void avg_pool2d_backward(const PoolGeometry& g, bool count_include_pad, const float* dy, float* dx);

// Global average pooling is the 1x1 case.
void adaptive_avg_pool2d_forward(const PoolGeometry& g, const float* x, float* y);
void adaptive_avg_pool2d_backward(const PoolGeometry& g, const float* dy, float* dx);

}  // namespace cnn::kernels::cpu
