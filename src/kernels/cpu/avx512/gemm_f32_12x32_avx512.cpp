// AVX-512 microkernel: a 12x32 tile of C held in 24 zmm registers; each k step loads two
// vectors of packed B and, for each of the 12 rows, broadcasts one value of A into two FMAs
// (BLIS's single-precision Skylake-X tile, transposed for row-major C). Partial tiles are
// written with masked loads and stores, so no scratch tile is needed.
//
// Two forms share the tile. gemm_f32_12x32_avx512 reads A from a packed strip.
// gemm_f32_12x32_rows_avx512 reads a row-major A where it lies: packing it is a transpose of
// every 12 x kc block, one scalar store per value, which the GEMM pays again for each block and
// which is not repaid when C has few column strips to reuse it (a 1x1 convolution to 64 channels
// reuses each packed block twice; measured: packing took 40 % of such a layer). Each k step then
// broadcasts A(r, p) from 12 row streams, which the L1 and the prefetchers serve as well as one
// packed stream; rows past mr are not read (their pointers repeat the last row). That form also
// applies the epilogue, when given, to the sums in registers before they are stored.
// GCC 12 reports _mm512_undefined_ps() inside _mm512_max_ps and _mm512_min_ps as
// maybe-uninitialized (a known false positive of its own header); silenced for this file only.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <limits>

#include "kernels/cpu/gemm.h"

namespace cnn::kernels::cpu {

namespace {

constexpr int kMR = 12;
constexpr int kNR = 32;

// A(r, p) from a packed strip: the 12 values of step p side by side.
struct PackedA {
  const float* a;
  float at(int r, int64_t p) const { return a[p * kMR + r]; }
};

// A(r, p) from 12 rows in place.
struct RowsA {
  const float* row[kMR];
  float at(int r, int64_t p) const { return row[r][p]; }
};

template <class A>
[[gnu::always_inline]] inline void tile(int64_t k, const A& a, const float* b, float* c,
                                        int64_t ldc, float beta, int mr, int nr,
                                        const GemmTileEpilogue* e) {
  __m512 acc[kMR][2];
#pragma GCC unroll 12
  for (int r = 0; r < kMR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < kMR; ++r) {
      const __m512 ar = _mm512_set1_ps(a.at(r, p));
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
    b += kNR;
  }
  const __mmask16 m0 = nr >= 16 ? __mmask16(0xffff) : __mmask16((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32   ? __mmask16(0xffff)
                       : nr <= 16 ? __mmask16(0)
                                  : __mmask16((1u << (nr - 16)) - 1);
  const __m512 vbeta = _mm512_set1_ps(beta);
  // the epilogue's per-column terms, loaded once (identity where absent)
  __m512 scale0 = _mm512_set1_ps(1.0f), scale1 = scale0;
  __m512 bias0 = _mm512_setzero_ps(), bias1 = bias0;
  __m512 bottom = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 top = _mm512_set1_ps(std::numeric_limits<float>::infinity());
  if (e != nullptr) {
    if (e->scale != nullptr) {
      scale0 = _mm512_maskz_loadu_ps(m0, e->scale);
      scale1 = _mm512_maskz_loadu_ps(m1, e->scale + 16);
    }
    if (e->bias != nullptr) {
      bias0 = _mm512_maskz_loadu_ps(m0, e->bias);
      bias1 = _mm512_maskz_loadu_ps(m1, e->bias + 16);
    }
    bottom = _mm512_set1_ps(e->lo);
    top = _mm512_set1_ps(e->hi);
  }
#pragma GCC unroll 12
  for (int r = 0; r < kMR; ++r) {
    if (r >= mr) break;
    float* out = c + r * ldc;
    __m512 lo = acc[r][0], hi = acc[r][1];
    if (beta != 0.0f) {
      lo = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m0, out), lo);
      hi = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m1, out + 16), hi);
    }
    if (e != nullptr) {  // kernels::apply_epilogue's formula (scale and bias in one FMA)
      lo = _mm512_fmadd_ps(lo, scale0, bias0);
      hi = _mm512_fmadd_ps(hi, scale1, bias1);
      if (e->residual != nullptr) {
        const float* res = e->residual + r * e->ldr;
        lo = _mm512_add_ps(lo, _mm512_maskz_loadu_ps(m0, res));
        hi = _mm512_add_ps(hi, _mm512_maskz_loadu_ps(m1, res + 16));
      }
      // max(bottom, v) and min(top, v) return v when it is NaN, as std::max(v, bottom) does
      lo = _mm512_min_ps(top, _mm512_max_ps(bottom, lo));
      hi = _mm512_min_ps(top, _mm512_max_ps(bottom, hi));
    }
    _mm512_mask_storeu_ps(out, m0, lo);
    _mm512_mask_storeu_ps(out + 16, m1, hi);
  }
}

}  // namespace

void gemm_f32_12x32_avx512(int64_t k, const float* a, const float* b, float* c, int64_t ldc,
                           float beta, int mr, int nr) {
  tile(k, PackedA{a}, b, c, ldc, beta, mr, nr, nullptr);
}

void gemm_f32_12x32_rows_avx512(int64_t k, const float* a, int64_t lda, const float* b, float* c,
                                int64_t ldc, float beta, int mr, int nr,
                                const GemmTileEpilogue* e) {
  RowsA rows;
#pragma GCC unroll 12
  for (int r = 0; r < kMR; ++r) rows.row[r] = a + std::min(r, mr - 1) * lda;
  tile(k, rows, b, c, ldc, beta, mr, nr, e);
}

}  // namespace cnn::kernels::cpu
