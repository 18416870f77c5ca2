// Reference resizing kernels over dense NHWC tensors, forward and backward side by side.
//
// Source positions are computed once per output row and column, in float32 exactly as
// PyTorch computes them, so that the chosen cells and weights match PyTorch's bit for bit.
// The channel index is innermost; forward passes split the N*OH output rows over the thread
// pool, backward passes scatter-add and split over images.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/upsample_types.h"

namespace cnn::kernels::ref {

// PyTorch's mode='nearest': src(o) = min(floor(o * scale), in - 1) with the float32 scale
// float(in) / float(out). It equals floor(o * in / out) except where the float product lands
// just below an integer, e.g. in = 2, out = 82, o = 41 gives 0 where exact arithmetic gives 1.
std::vector<int64_t> nearest_source_index(int64_t in, int64_t out);

// PyTorch's mode='bilinear' along one dimension: output o blends input index0[o] with weight
// lambda0[o] and index1[o] with weight lambda1[o] = 1 - lambda0[o], where the real source
// position is
//   align_corners:  o * (in - 1) / (out - 1)               (0 when out = 1)
//   otherwise:      max((o + 0.5) * in / out - 0.5, 0)     (pixel centres aligned)
// index0 = floor(position), index1 = min(index0 + 1, in - 1), lambda1 = position - index0.
struct LinearTaps {
  std::vector<int64_t> index0, index1;
  std::vector<float> lambda0, lambda1;
};
LinearTaps linear_taps(int64_t in, int64_t out, bool align_corners);

// y[n, oh, ow, c] = x[n, src_h(oh), src_w(ow), c]
void upsample_nearest2d_forward(const ResizeGeometry& g, const float* x, float* y);
// dx[n, src_h(oh), src_w(ow), c] += dy[n, oh, ow, c]. dx is overwritten.
void upsample_nearest2d_backward(const ResizeGeometry& g, const float* dy, float* dx);

// y[n, oh, ow, c] = lh0 * (lw0 * x[h0, w0] + lw1 * x[h0, w1])
//                 + lh1 * (lw0 * x[h1, w0] + lw1 * x[h1, w1])   (taps of row oh, column ow)
void upsample_bilinear2d_forward(const ResizeGeometry& g, bool align_corners, const float* x,
                                 float* y);
// dx[n, hi, wj, c] += (lhi * lwj) * dy[n, oh, ow, c] for the four taps (i, j in {0, 1}).
// dx is overwritten.
void upsample_bilinear2d_backward(const ResizeGeometry& g, bool align_corners, const float* dy,
                                  float* dx);

}  // namespace cnn::kernels::ref
