// Elementwise a op b for two dense inputs of the output's shape, fast: the same-shape case of
// kernels/ref/binary_ref.h (which stays the oracle, and handles broadcasting) split over the
// threads and compiled for AVX-512, AVX2 and baseline x86-64 (CNN_TARGET_CLONES). Each output
// is one IEEE operation, rounded once whatever the vector width, so the bits are the
// reference's. out may be a or b (the loop reads each element before writing it).
#pragma once

#include <cstdint>

#include "kernels/binary_types.h"

namespace cnn::kernels::cpu {

// out[i] = a[i] op b[i] for i < n.
void binary_same_shape(BinaryOp op, const float* a, const float* b, float* out, int64_t n);

}  // namespace cnn::kernels::cpu
