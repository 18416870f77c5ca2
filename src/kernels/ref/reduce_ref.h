// Sum of a dense tensor over the dimensions marked in `reduced`, accumulated in double.
// out has the kept extents in order (numel = product of kept extents).
#pragma once

#include <vector>

#include "cnn/shape.h"

namespace cnn::kernels::ref {

void sum_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out);

}  // namespace cnn::kernels::ref
