// Channel and spatial rearrangements: the lecture's concatenation L1 ; L2 (DenseNet,
// Inception, hypercolumns), splitting, ShuffleNet's channel shuffle, zero padding and the
// strided identity shortcut of the ResNet paper.
#pragma once

#include <vector>

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

// Concatenates along `dim` (default: channels, the last dimension); other extents must match.
Tensor concat(const std::vector<Tensor>& xs, int64_t dim = -1);
// Splits along `dim` into pieces of the given sizes, which must sum to the extent.
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = -1);
// ShuffleNet: channels viewed as [groups, C / groups], transposed to [C / groups, groups].
Tensor channel_shuffle(const Tensor& x, int64_t groups);
// Pads the rows and columns of x [N, H, W, C] with `value`.
Tensor pad2d(const Tensor& x, const Pad2d& padding, float value = 0.0f);
// The lecture's L~ for a strided, wider residual (option A of the ResNet paper):
// L~[b, x, y, j] = L[b, s*x, s*y, j] for j < C, 0 for C <= j < out_channels.
// x [N, H, W, C] -> [N, ceil(H / s), ceil(W / s), out_channels].
Tensor shortcut_identity(const Tensor& x, int64_t stride, int64_t out_channels);

}  // namespace cnn
