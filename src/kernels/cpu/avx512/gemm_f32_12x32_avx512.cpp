// AVX-512 microkernel: a 12x32 tile of C held in 24 zmm registers; each k step loads two
// vectors of packed B and, for each of the 12 rows, broadcasts one value of packed A into two
// FMAs (BLIS's single-precision Skylake-X tile, transposed for row-major C). Partial tiles
// are written with masked loads and stores, so no scratch tile is needed.
#include <immintrin.h>

#include "kernels/cpu/gemm.h"

namespace cnn::kernels {

namespace {
constexpr int kMR = 12;
constexpr int kNR = 32;
}  // namespace

void gemm_f32_12x32_avx512(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                           float beta, int mr, int nr) {
  __m512 acc[kMR][2];
#pragma GCC unroll 12
  for (int r = 0; r < kMR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < kMR; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
    a += kMR;
    b += kNR;
  }
  const __mmask16 m0 = nr >= 16 ? __mmask16(0xffff) : __mmask16((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? __mmask16(0xffff) : nr <= 16 ? __mmask16(0) : __mmask16((1u << (nr - 16)) - 1);
  const __m512 vbeta = _mm512_set1_ps(beta);
#pragma GCC unroll 12
  for (int r = 0; r < kMR; ++r) {
    if (r >= mr) break;
    float* row = c + r * ldc;
    __m512 lo = acc[r][0], hi = acc[r][1];
    if (beta != 0.0f) {
      lo = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m0, row), lo);
      hi = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m1, row + 16), hi);
    }
    _mm512_mask_storeu_ps(row, m0, lo);
    _mm512_mask_storeu_ps(row + 16, m1, hi);
  }
}

}  // namespace cnn::kernels
