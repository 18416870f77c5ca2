// The elementwise binary family: what ops call. Same-shape inputs run the fast kernel of
// kernels/cpu/binary.h; broadcasting ones the reference (kernels/ref/binary_ref.h). Both give
// the same bits, one IEEE operation per output.
#pragma once

#include "cnn/shape.h"
#include "kernels/binary_types.h"

namespace cnn::kernels {

// out (dense, out_shape) = a op b, where a and b are dense with shapes that broadcast to
// out_shape (their rank may be lower; leading extents are implied 1). out may be a or b when
// their shapes are out_shape.
void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
            float* out, const Shape& out_shape);

}  // namespace cnn::kernels
