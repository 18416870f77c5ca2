/// \file
/// Spatial resizing of NHWC tensors (hypercolumns bring coarse layers to the input grid).
#pragma once

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

/// Output (x, y) takes input (floor(x * H / OH), floor(y * W / OW)): the lecture's
/// hypercolumn index map and PyTorch's mode='nearest'. Like PyTorch, the product is formed in
/// float32 as x * float(H / OH), which in rare cases lands just below an integer and picks the
/// previous row (H = 2, OH = 82, x = 41 takes row 0); this keeps results identical to
/// PyTorch's. Output sizes may also be smaller than the input's.
Tensor upsample_nearest2d(const Tensor& x, Size2 output_size);
/// PyTorch's mode='bilinear' with the same align_corners convention, source position of output x:
/// ```text
///   align_corners = true:   x * (H - 1) / (OH - 1)              (0 when OH = 1)
///   align_corners = false:  max((x + 0.5) * H / OH - 0.5, 0)     (pixel centres aligned)
/// ```
/// blending rows floor(pos) and min(floor(pos) + 1, H - 1); likewise columns.
Tensor upsample_bilinear2d(const Tensor& x, Size2 output_size, bool align_corners = false);

}  // namespace cnn
