// Spatial resizing of NHWC tensors (hypercolumns bring coarse layers to the input grid).
#pragma once

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

// Output (x, y) takes input (floor(x * H / OH), floor(y * W / OW)): the lecture's
// hypercolumn index map and PyTorch's mode='nearest'.
Tensor upsample_nearest2d(const Tensor& x, Size2 output_size);
// PyTorch's mode='bilinear' with the same align_corners convention.
Tensor upsample_bilinear2d(const Tensor& x, Size2 output_size, bool align_corners = false);

}  // namespace cnn
