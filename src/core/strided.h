// Element copies between strided views and dense buffers (row-major order).
#pragma once

#include "cnn/tensor.h"

namespace cnn::detail {

// Copies the elements of a float32 view, in row-major order, into dst (numel floats).
void copy_to_dense(const Tensor& src, float* dst);
// Writes numel floats from src into the elements of a float32 view, in row-major order.
void copy_from_dense(const float* src, const Tensor& dst);
// Adds numel floats from src into the elements of a float32 view.
void add_from_dense(const float* src, const Tensor& dst);

}  // namespace cnn::detail
