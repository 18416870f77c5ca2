// The AVX-512 peak loop: 12 independent vfmadd231ps chains in zmm registers, enough to keep
// two 512-bit FMA pipes of latency 4 busy (Zen 4/5, Intel since Skylake-SP).
#include <immintrin.h>

#include "kernels/cpu/fma_loop.h"

namespace cnn::kernels::cpu {

float fma_loop_f32_avx512(int64_t iterations) {
  const __m512 m = _mm512_set1_ps(0.9999f);
  const __m512 a = _mm512_set1_ps(1e-4f);  // fixed point a / (1 - m) = 1
  __m512 c[12];
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) c[i] = _mm512_set1_ps(1.0f + 0.1f * static_cast<float>(i));
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) c[i] = _mm512_fmadd_ps(c[i], m, a);
  }
  __m512 sum = c[0];
#pragma GCC unroll 11
  for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, c[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

}  // namespace cnn::kernels::cpu
