// Reference pooling kernels over dense NHWC tensors, forward and backward side by side.
//
// Every loop nest keeps the channel index innermost, so each step reads and writes a
// contiguous run of C floats. Forward passes split the N*OH output rows over the thread pool.
// The max pooling backward gathers per input row and splits the N*H input rows; the average
// backward passes scatter into the input gradient and split over images (windows of
// neighbouring output rows overlap in the input, images never do). Results do not depend on
// the thread count.
#pragma once

#include <cstdint>

#include "kernels/pool_types.h"

namespace cnn::kernels::ref {

// y[n, oh, ow, c] = max over the window's input cells of x[n, ih, iw, c]; padding never wins.
// Ties go to the first maximum in row-major scan order and NaN wins (PyTorch's rule:
// replace when v > max or v is NaN). argmax (may be null) receives ih*in_w + iw of the winner,
// or -1 with y = -inf for a window holding no input cell (possible only with dilation).
// int32 indices keep the channel loop vectorizable; the op checks in_h*in_w < 2^31.
void max_pool2d_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax);
// dx[n, argmax / in_w, argmax % in_w, c] += dy[n, oh, ow, c]: the max passes its gradient to
// the cell that won. dx is overwritten.
void max_pool2d_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx);

// y[n, oh, ow, c] = sum over the window's input cells of x[n, ih, iw, c] / divisor(oh, ow).
// PyTorch's divisor (dilation must be 1): the window clipped to the padded input
// [-pad_top, in_h + pad_bottom) x [-pad_left, in_w + pad_right) counts its padded cells when
// count_include_pad, and only its input cells otherwise. Cells that ceil_mode adds beyond the
// padded input never count.
void avg_pool2d_forward(const PoolGeometry& g, bool count_include_pad, const float* x, float* y);
// dx[n, ih, iw, c] += dy[n, oh, ow, c] / divisor(oh, ow) for every window holding (ih, iw).
// dx is overwritten.
void avg_pool2d_backward(const PoolGeometry& g, bool count_include_pad, const float* dy, float* dx);

// Adaptive average pooling: output row oh averages input rows
// [floor(oh*in_h/out_h), ceil((oh+1)*in_h/out_h)), likewise columns (PyTorch's bins, which
// overlap when in_h is not a multiple of out_h). Uses batch, in_*, channels, out_* of g only.
void adaptive_avg_pool2d_forward(const PoolGeometry& g, const float* x, float* y);
// dx[n, ih, iw, c] += dy[n, oh, ow, c] / bin_size(oh, ow) for every bin holding (ih, iw).
// dx is overwritten.
void adaptive_avg_pool2d_backward(const PoolGeometry& g, const float* dy, float* dx);

}  // namespace cnn::kernels::ref
