/// \file
/// Selecting slices of a tensor by index: out[..., k, ...] = x[..., indices[k], ...] along one
/// dimension, the building block of gathers, flips and nearest/linear resizing.
#pragma once

#include <vector>

#include "cnn/tensor.h"

namespace cnn {

/// x [..., D, ...] -> [..., indices.size(), ...] along `dim` (negative counts from the end);
/// every index must lie in [0, D) and may repeat. The gradient adds each output slice back
/// into the input slice it came from.
Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& indices);

}  // namespace cnn
