/// \file
/// Pooling over the spatial dimensions of NHWC tensors, channel by channel. The lecture's max
/// pooling is L'[b, x, y, i] = max_{dx, dy} L[b, s*x + dx, s*y + dy, i].
///
/// Sizes follow PyTorch: along each dimension
/// ```text
///   out = floor((in + pad_before + pad_after - dilation*(kernel-1) - 1) / stride) + 1,
/// ```
/// with ceil_mode rounding the division up instead, except that the last window must start
/// inside the input or its leading padding. Padding may differ per side (Pad2d{t, b, l, r});
/// each side must be at most half the kernel, as PyTorch requires. Wrong ranks, a kernel,
/// stride or dilation below 1, too much padding or an empty output raise cnn::Error.
#pragma once

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

struct MaxPool2dOptions {
  Size2 kernel = 1;
  Size2 stride = 0;   ///< 0: equal to the kernel, as in PyTorch
  Pad2d padding = 0;  ///< padded positions never win the max
  Size2 dilation = 1;
  bool ceil_mode = false;
};

struct AvgPool2dOptions {
  Size2 kernel = 1;
  Size2 stride = 0;  ///< 0: equal to the kernel
  Pad2d padding = 0;
  bool ceil_mode = false;
  /// The divisor counts padded cells (true) or only input cells (false). Either way, cells
  /// that ceil_mode's last window reaches beyond the padded input do not count (PyTorch).
  bool count_include_pad = true;
};

/// x [N, H, W, C] -> [N, OH, OW, C]
/// Max: ties go to the first maximum in row-major window order and NaN wins, as in PyTorch, so
/// the gradient reaches the same input cell as PyTorch's. A dilated window that holds no input
/// cell (only padding) gives -inf and passes no gradient.
Tensor max_pool2d(const Tensor& x, const MaxPool2dOptions& options);
/// max_pool2d that also says where each maximum came from, as PyTorch's
/// max_pool2d(..., return_indices=True) (ONNX's MaxPool with its Indices output): y is
/// max_pool2d's output and gradient, bit for bit; indices (int64, y's shape, no gradient)
/// holds ih * W + iw of the winning input cell within its image and channel, i.e. the flat
/// index in PyTorch's NCHW (n, c) plane. A window holding no input cell gives -1 (PyTorch then
/// reports an index outside the image).
struct MaxPool2dWithIndices {
  Tensor y;
  Tensor indices;
};
MaxPool2dWithIndices max_pool2d_with_indices(const Tensor& x, const MaxPool2dOptions& options);
Tensor avg_pool2d(const Tensor& x, const AvgPool2dOptions& options);
/// Output cell (i, j) averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)), likewise columns;
/// neighbouring bins overlap when H is not a multiple of OH, and OH may exceed H.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);
/// [N, H, W, C] -> [N, 1, 1, C]
Tensor global_avg_pool2d(const Tensor& x);
/// [N, H, W, C] -> [N, 1, 1, C]: y[n, 0, 0, c] = max_{h, w} x[n, h, w, c] (ONNX's
/// GlobalMaxPool, PyTorch's adaptive_max_pool2d(x, 1)), max_pool2d with one window covering
/// the image: ties and NaN as there, so the gradient goes to the first maximum in row-major
/// order (to the last NaN when there are NaNs, as PyTorch).
Tensor global_max_pool2d(const Tensor& x);

}  // namespace cnn
