/// \file
/// Channel and spatial rearrangements: the lecture's concatenation L1 ; L2 (DenseNet,
/// Inception, hypercolumns), splitting, ShuffleNet's channel shuffle, constant, reflect and
/// edge padding, and the strided identity shortcut of the ResNet paper.
#pragma once

#include <vector>

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

/// Concatenates along `dim` (default: channels, the last dimension, so that concat({l1, l2}) is
/// the lecture's L[b, x, y, J1 + J2] = L1 ; L2). The list must not be empty; all tensors must
/// have the same rank and the same extents except along `dim`. Each input's gradient is its
/// slice of the output's gradient.
Tensor concat(const std::vector<Tensor>& xs, int64_t dim = -1);
/// Splits along `dim` into pieces of the given sizes, which must be non-negative and sum to the
/// extent. The pieces are dense copies, not views of x (the inverse of concat); each is
/// differentiable, and a piece no gradient reaches contributes zeros.
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = -1);
/// ShuffleNet: channels viewed as [groups, C / groups], transposed to [C / groups, groups]:
/// out[..., j * groups + g] = x[..., g * (C / groups) + j], as torchvision's channel_shuffle
/// in NCHW. x is [N, H, W, C] and C must be divisible by groups.
Tensor channel_shuffle(const Tensor& x, int64_t groups);
/// Pads the rows and columns of x [N, H, W, C] with `value`:
/// out[n, y, x', c] = x[n, y - top, x' - left, c] where that lies inside x, else value.
/// Negative amounts crop, as F.pad does; the result must keep at least zero rows and cols.
Tensor pad2d(const Tensor& x, const Pad2d& padding, float value = 0.0f);

/// How pad2d fills the new rows and columns (ONNX Pad's modes; PyTorch's F.pad modes
/// 'constant', 'reflect' and 'replicate').
enum class PadMode {
  constant,  ///< the value
  reflect,   ///< the mirror image without repeating the edge: x[-1] = x[1], x[H] = x[H - 2]
  edge,      ///< the edge repeated: x[-1] = x[0], x[H] = x[H - 1]
};

struct Pad2dOptions {
  PadMode mode = PadMode::constant;
  float value = 0.0f;  ///< used by PadMode::constant only
};

/// pad2d with a choice of mode: pad2d(x, {1, 2, 0, 3}, {.mode = PadMode::reflect}). With i the
/// source row y - top (columns likewise), reflect reads row -i for i < 0 and 2 (H - 1) - i for
/// i >= H; edge reads row clamp(i, 0, H - 1). Negative amounts crop in every mode. The gradient
/// of a row or column that several output positions copy is the sum of theirs. Raises
/// cnn::Error, besides the constant mode's errors, for a reflect padding not smaller than the
/// extent it mirrors (top and bottom below H, left and right below W), and for an edge padding
/// of an axis with no rows or cols.
Tensor pad2d(const Tensor& x, const Pad2d& padding, const Pad2dOptions& options);
/// The lecture's L~ for a strided, wider residual (option A of the ResNet paper):
/// `L~[b, x, y, j] = L[b, s*x, s*y, j]` for `j < C`, 0 for `C <= j < out_channels`.
/// x [N, H, W, C] -> [N, ceil(H / s), ceil(W / s), out_channels]: every s-th row and column of
/// x (PyTorch's slice with step s on both axes) with zero channels appended; stride >= 1 and
/// out_channels >= C.
Tensor shortcut_identity(const Tensor& x, int64_t stride, int64_t out_channels);

}  // namespace cnn
