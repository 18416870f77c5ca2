// Single-precision matrix multiply, row-major:
//   C[M, N] = op(A)[M, K] * op(B)[K, N] + beta * C[M, N]
// op(X) is X or its transpose; lda/ldb/ldc are row strides in elements, so sub-matrices
// (one group's columns of a weight, say) are passed without copying.
#pragma once

#include <cstdint>
#include <string>

namespace cnn::kernels {

void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// The microkernel: C[mr, nr] = Ap * Bp (+ beta * C) over k steps of packed panels, where Ap
// holds kMR values per step and Bp kNR values per step. mr <= kMR and nr <= kNR.
inline constexpr int kGemmMR = 6;
inline constexpr int kGemmNR = 16;
using GemmMicrokernel = void (*)(int64_t k, const float* a_packed, const float* b_packed, float* c,
                                 int64_t ldc, float beta, int mr, int nr);

void gemm_f32_6x16_scalar(int64_t k, const float* a_packed, const float* b_packed, float* c,
                          int64_t ldc, float beta, int mr, int nr);
void gemm_f32_6x16_avx2(int64_t k, const float* a_packed, const float* b_packed, float* c,
                        int64_t ldc, float beta, int mr, int nr);

// Name of the microkernel in use ("avx2" or "scalar"), and a way to force one (tests and
// benchmarks). Chosen once at start-up from the CPU's features; CNN_ISA=scalar forces the
// portable kernel. Setting an ISA the CPU lacks raises cnn::Error.
std::string gemm_isa();
void set_gemm_isa(const std::string& isa);

}  // namespace cnn::kernels
