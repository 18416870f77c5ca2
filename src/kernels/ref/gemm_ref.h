// Reference matrix multiply: the triple loop, accumulated in double. The oracle for gemm_f32.
#pragma once

#include <cstdint>

namespace cnn::kernels::ref {

void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace cnn::kernels::ref
