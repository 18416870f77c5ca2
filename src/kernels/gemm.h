// The GEMM family: what ops call. The plain row-major product of kernels/cpu/gemm.h (the
// packed, cache-blocked GEMM with a microkernel per instruction set; kernels/ref/gemm_ref.h is
// its oracle), and its epilogue applied to a finished matrix.
#pragma once

#include <cstdint>

#include "kernels/gemm_types.h"

namespace cnn::kernels {

// C[M, N] = op(A)[M, K] * op(B)[K, N] + beta * C[M, N], op(X) = X or X^T; lda/ldb/ldc are row
// strides in elements.
void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// e applied to rows x cols of C, whose first element is C[i0, j0] of the product e was made
// for (e's scale, bias and residual are indexed from there).
void apply_gemm_epilogue(const GemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols,
                         float* c, int64_t ldc);

}  // namespace cnn::kernels
