// Reductions over chosen dimensions (accumulated in double). An empty `dims` reduces all.
#pragma once

#include "cnn/tensor.h"

namespace cnn {

Tensor sum(const Tensor& x, const Shape& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Shape& dims = {}, bool keepdim = false);

// Sums a broadcast gradient back to `shape` (the inverse of broadcasting `shape` to g's).
Tensor sum_to_shape(const Tensor& g, const Shape& shape);

}  // namespace cnn
