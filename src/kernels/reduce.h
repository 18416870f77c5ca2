// The reduction family: what ops call, with the contracts of kernels/ref/reduce_ref.h (no fast
// kernel: the reference runs).
#pragma once

#include <vector>

#include "cnn/shape.h"

namespace cnn::kernels {

void sum_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out);
void amax_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out);
void amax_backward(const float* x, const Shape& shape, const std::vector<bool>& reduced,
                   const float* out, const float* dy, float* dx);

}  // namespace cnn::kernels
