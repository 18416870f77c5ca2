// Broadcast binary elementwise kernel over dense inputs.
#pragma once

#include "cnn/shape.h"
#include "kernels/binary_types.h"

namespace cnn::kernels::ref {

// out (dense, out_shape) = a op b, where a and b are dense with shapes that broadcast to
// out_shape (their rank may be lower; leading extents are implied 1).
void binary_broadcast(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                      const Shape& b_shape, float* out, const Shape& out_shape);

}  // namespace cnn::kernels::ref
