// The resizing family's geometry, shared by its kernels and the ops.
#pragma once

#include <cstdint>

namespace cnn::kernels {

// x [batch, in_h, in_w, channels] -> y [batch, out_h, out_w, channels]
struct ResizeGeometry {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;
  int64_t out_h = 0, out_w = 0;
};

}  // namespace cnn::kernels
