// AVX2+FMA microkernel: a 6x16 tile of C held in 12 ymm registers; each k step loads two
// vectors of packed B, broadcasts six values of packed A and issues 12 FMAs.
#include <immintrin.h>

#include "kernels/cpu/gemm.h"

namespace cnn::kernels::cpu {

namespace {
constexpr int kGemmMR = 6;
constexpr int kGemmNR = 16;
}  // namespace

void gemm_f32_6x16_avx2(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                        float beta, int mr, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 ar = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(ar, b0, c00);
    c01 = _mm256_fmadd_ps(ar, b1, c01);
    ar = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(ar, b0, c10);
    c11 = _mm256_fmadd_ps(ar, b1, c11);
    ar = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(ar, b0, c20);
    c21 = _mm256_fmadd_ps(ar, b1, c21);
    ar = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(ar, b0, c30);
    c31 = _mm256_fmadd_ps(ar, b1, c31);
    ar = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(ar, b0, c40);
    c41 = _mm256_fmadd_ps(ar, b1, c41);
    ar = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(ar, b0, c50);
    c51 = _mm256_fmadd_ps(ar, b1, c51);
    a += kGemmMR;
    b += kGemmNR;
  }
  alignas(32) float tile[kGemmMR][kGemmNR];
  _mm256_store_ps(tile[0], c00), _mm256_store_ps(tile[0] + 8, c01);
  _mm256_store_ps(tile[1], c10), _mm256_store_ps(tile[1] + 8, c11);
  _mm256_store_ps(tile[2], c20), _mm256_store_ps(tile[2] + 8, c21);
  _mm256_store_ps(tile[3], c30), _mm256_store_ps(tile[3] + 8, c31);
  _mm256_store_ps(tile[4], c40), _mm256_store_ps(tile[4] + 8, c41);
  _mm256_store_ps(tile[5], c50), _mm256_store_ps(tile[5] + 8, c51);
  if (nr == kGemmNR) {
    const __m256 vbeta = _mm256_set1_ps(beta);
    for (int r = 0; r < mr; ++r) {
      float* row = c + r * ldc;
      __m256 lo = _mm256_load_ps(tile[r]), hi = _mm256_load_ps(tile[r] + 8);
      if (beta != 0.0f) {
        lo = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(row), lo);
        hi = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(row + 8), hi);
      }
      _mm256_storeu_ps(row, lo);
      _mm256_storeu_ps(row + 8, hi);
    }
    return;
  }
  for (int r = 0; r < mr; ++r) {
    float* row = c + r * ldc;
    for (int j = 0; j < nr; ++j) row[j] = beta == 0.0f ? tile[r][j] : tile[r][j] + beta * row[j];
  }
}

}  // namespace cnn::kernels::cpu
