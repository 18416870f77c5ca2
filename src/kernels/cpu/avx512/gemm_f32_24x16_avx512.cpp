// AVX-512 microkernel for narrow products (N <= 16, such as convolutions with 16 output
// channels): a 24x16 tile of C in 24 zmm registers; each k step loads one vector of packed B
// and issues 24 FMAs whose A operand is broadcast from memory inside the FMA itself
// ({1to16}), so a step costs 25 loads but no separate broadcast instructions.
#include <immintrin.h>

#include "kernels/cpu/gemm.h"

namespace cnn::kernels::cpu {

namespace {
constexpr int kMR = 24;
constexpr int kNR = 16;
}  // namespace

void gemm_f32_24x16_avx512(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                           float beta, int mr, int nr) {
  __m512 acc[kMR];
#pragma GCC unroll 24
  for (int r = 0; r < kMR; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_load_ps(b);
#pragma GCC unroll 24
    for (int r = 0; r < kMR; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), b0, acc[r]);
    a += kMR;
    b += kNR;
  }
  const __mmask16 mask = nr >= 16 ? __mmask16(0xffff) : __mmask16((1u << nr) - 1);
  const __m512 vbeta = _mm512_set1_ps(beta);
#pragma GCC unroll 24
  for (int r = 0; r < kMR; ++r) {
    if (r >= mr) break;
    float* row = c + r * ldc;
    __m512 v = acc[r];
    if (beta != 0.0f) v = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask, row), v);
    _mm512_mask_storeu_ps(row, mask, v);
  }
}

}  // namespace cnn::kernels::cpu
