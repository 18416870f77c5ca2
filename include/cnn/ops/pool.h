// Pooling over the spatial dimensions of NHWC tensors, channel by channel. The lecture's max
// pooling is L'[b, x, y, i] = max_{dx, dy} L[b, s*x + dx, s*y + dy, i].
#pragma once

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

struct MaxPool2dOptions {
  Size2 kernel = 1;
  Size2 stride = 0;  // 0: equal to the kernel, as in PyTorch
  Pad2d padding = 0; // padded positions never win the max
  Size2 dilation = 1;
  bool ceil_mode = false;
};

struct AvgPool2dOptions {
  Size2 kernel = 1;
  Size2 stride = 0;  // 0: equal to the kernel
  Pad2d padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
};

// x [N, H, W, C] -> [N, OH, OW, C]
Tensor max_pool2d(const Tensor& x, const MaxPool2dOptions& options);
Tensor avg_pool2d(const Tensor& x, const AvgPool2dOptions& options);
// Output cell (i, j) averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)), likewise columns.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);
// [N, H, W, C] -> [N, 1, 1, C]
Tensor global_avg_pool2d(const Tensor& x);

}  // namespace cnn
