// Pointwise activations, fast: the contracts of kernels/ref/activation_ref.h (which stays the
// oracle) with the same bits. relu, relu6 and leaky_relu run plain loops compiled for AVX-512,
// AVX2 and baseline x86-64 (CNN_TARGET_CLONES), split over the threads; their results are
// selects and at most one multiply, so every version gives the reference's bits exactly.
// sigmoid and tanh go to the reference, which is already threaded: std::exp and std::tanh do
// not vectorize without -ffast-math, and under the AVX2 clone GCC would contract tanh's
// backward 1 - t*t into a fused multiply-add, which rounds once instead of twice.
// Outputs must not overlap the inputs.
#pragma once

#include <cstdint>

#include "kernels/activation_types.h"

namespace cnn::kernels::cpu {

void activation_forward(Activation kind, float slope, const float* x, float* y, int64_t n);
void activation_backward(Activation kind, float slope, const float* x, const float* y,
                         const float* dy, float* dx, int64_t n);

}  // namespace cnn::kernels::cpu
