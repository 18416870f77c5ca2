/// \file
/// Reductions over chosen dimensions (sums accumulated in double). An empty `dims` reduces all.
#pragma once

#include "cnn/tensor.h"

namespace cnn {

Tensor sum(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
/// Maximum over `dims` (ONNX's ReduceMax, PyTorch's torch.amax; empty `dims`: all). A NaN in
/// a group makes its maximum NaN. The gradient is split evenly among tied maxima,
/// dx = dy / count where x equals the maximum, as torch.amax (a group with a NaN gets NaN
/// gradients). Reducing a dimension of size 0 raises cnn::Error.
Tensor amax(const Tensor& x, const Shape& dims = {}, bool keepdim = false);

/// Sums a broadcast gradient back to `shape` (the inverse of broadcasting `shape` to g's).
Tensor sum_to_shape(const Tensor& g, const Shape& shape);

}  // namespace cnn
