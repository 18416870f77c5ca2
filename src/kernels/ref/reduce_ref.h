// Reductions of a dense tensor over the dimensions marked in `reduced`. out has the kept
// extents in order (numel = product of kept extents); each output reduces one group of x.
#pragma once

#include <vector>

#include "cnn/shape.h"

namespace cnn::kernels::ref {

// Sum, accumulated in double.
void sum_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out);

// Maximum, PyTorch's amax: out[o] = max of group o, NaN if the group holds a NaN (a NaN
// replaces the running maximum, nothing replaces a NaN). Groups must not be empty.
void amax_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out);
// PyTorch's amax gradient, the upstream gradient split evenly among the tied maxima:
//   dx[i] = (dy[o] / count[o]) * (x[i] == out[o] ? 1 : 0),  count[o] = #{i in o : x[i] == out[o]}
// in that order of float operations. A group whose maximum is NaN has count 0 and gets NaN
// gradients throughout, as in PyTorch. dx is overwritten.
void amax_backward(const float* x, const Shape& shape, const std::vector<bool>& reduced,
                   const float* out, const float* dy, float* dx);

}  // namespace cnn::kernels::ref
