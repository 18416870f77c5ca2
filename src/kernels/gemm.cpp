#include "kernels/gemm.h"

#include "kernels/cpu/gemm.h"

namespace cnn::kernels {

void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  cpu::gemm_f32(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

void apply_gemm_epilogue(const GemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols,
                         float* c, int64_t ldc) {
  cpu::apply_epilogue(e, i0, j0, rows, cols, c, ldc);
}

}  // namespace cnn::kernels
