#include "kernels/binary.h"

#include "kernels/cpu/binary.h"
#include "kernels/ref/binary_ref.h"

namespace cnn::kernels {

void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
            float* out, const Shape& out_shape) {
  // Same shapes (residual adds, the gradients of mul) take the fast kernel; broadcasting
  // (per-channel scales and shifts, scalars) the reference.
  if (a_shape == out_shape && b_shape == out_shape)
    cpu::binary_same_shape(op, a, b, out, checked_numel(out_shape));
  else
    ref::binary_broadcast(op, a, a_shape, b, b_shape, out, out_shape);
}

}  // namespace cnn::kernels
