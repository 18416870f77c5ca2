// The pooling family's geometry, shared by the reference and fast kernels and the ops.
#pragma once

#include <cstdint>

namespace cnn::kernels {

// x [batch, in_h, in_w, channels] -> y [batch, out_h, out_w, channels]. Output cell (oh, ow)
// reads input rows oh*stride_h - pad_top + kh*dilation_h for kh in [0, kernel_h), likewise
// columns; rows outside [0, in_h) are padding. The op layer computes out_h and out_w.
struct PoolGeometry {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;
  int64_t out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
};

}  // namespace cnn::kernels
