// Cache-blocked GEMM (Goto/BLIS loop order): for each NC-wide panel of B and KC-deep slice of
// K, B is packed into NR-wide strips that stay in L2/L3; for each MC-tall block of A, A is
// packed into MR-tall strips that stay in L2; the microkernel then sweeps the tiles, each
// NR-wide strip of B staying in L1 while the strips of A pass. MR and NR are the register
// tile of the microkernel chosen for the CPU and the width N (AVX-512: 12x32, or 24x16 when
// N <= 16; AVX2 and portable: 6x16). With AVX-512's 12x32 tile a row-major A is not packed at
// all: the microkernel reads its rows in place (avx512/gemm_f32_12x32_avx512.cpp).
// Threads take disjoint row (or column) ranges of C, so every element of C is computed by
// one thread in a fixed order: results do not depend on timing.
#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <optional>

#include "cnn/error.h"
#include "cnn/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/target_clones.h"

namespace cnn::kernels::cpu {
namespace {

// Depth of a packed slice: a 128x32 strip of B (16 KiB) and a 12x128 strip of A stay in L1.
constexpr int64_t kKC = 128;
constexpr int64_t kNC = 2048;     // columns of B per packed panel (a multiple of every NR)
constexpr int64_t kMCStrips = 8;  // rows of A per packed block, in MR-tall strips
// Products of at most this many rows with a transposed B run as dot products (dot_rows_trans_b).
constexpr int64_t kDotRowsMax = 4;

// Per ISA: the kernel for most products, and one for N <= 16 where a 32-wide tile would
// waste half its FMAs.
struct IsaKernels {
  GemmMicrokernel wide, narrow;
};
const IsaKernels kAvx512{{Isa::avx512, 12, 32, gemm_f32_12x32_avx512, gemm_f32_12x32_rows_avx512},
                         {Isa::avx512, 24, 16, gemm_f32_24x16_avx512}};
const IsaKernels kAvx2{{Isa::avx2, 6, 16, gemm_f32_6x16_avx2},
                       {Isa::avx2, 6, 16, gemm_f32_6x16_avx2}};
const IsaKernels kScalar{{Isa::scalar, 6, 16, gemm_f32_6x16_scalar},
                         {Isa::scalar, 6, 16, gemm_f32_6x16_scalar}};

const IsaKernels& kernels_for(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return kAvx512;
    case Isa::avx2:
      return kAvx2;
    case Isa::scalar:
      break;
  }
  return kScalar;
}

struct AlignedBuffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~AlignedBuffer() { std::free(data); }
  float* get(size_t n) {
    if (n > capacity) {
      std::free(data);
      data = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      if (data == nullptr) throw std::bad_alloc();
      capacity = n;
    }
    return data;
  }
};

// The matrix packings of A (see GemmPackA for the layout).
void pack_a_matrix(const GemmA& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr,
                   float* out) {
  for (int64_t s = 0; s < mc; s += mr, out += kc * mr) {
    const int64_t rows = std::min<int64_t>(mr, mc - s);
    if (rows < mr) std::fill_n(out, kc * mr, 0.0f);
    if (a.trans) {  // A(i, p) = data[p * ld + i]: each depth step reads mr contiguous values
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a.data + (p0 + p) * a.ld + i0 + s;
        for (int64_t r = 0; r < rows; ++r) out[p * mr + r] = src[r];
      }
    } else {  // A(i, p) = data[i * ld + p]: each row is read contiguously
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = a.data + (i0 + s + r) * a.ld + p0;
        for (int64_t p = 0; p < kc; ++p) out[p * mr + r] = src[p];
      }
    }
  }
}

// Packs depth [p0, p0+kc) x columns [j0, j0+nc) of op(B) into nr-wide strips, zero-filled:
// strip s holds, for each depth p, the nr values B(p0+p, j0+s+0..nr-1) side by side.
CNN_TARGET_CLONES void pack_b(const GemmB& b, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                              int nr, float* out) {
  for (int64_t s = 0; s < nc; s += nr, out += kc * nr) {
    const int64_t cols = std::min<int64_t>(nr, nc - s);
    if (cols < nr) std::fill_n(out, kc * nr, 0.0f);
    if (b.trans) {  // B(p, j) = data[j * ld + p]: each column is read contiguously
      for (int64_t c = 0; c < cols; ++c) {
        const float* src = b.data + (j0 + s + c) * b.ld + p0;
        for (int64_t p = 0; p < kc; ++p) out[p * nr + c] = src[p];
      }
    } else if (cols == 32) {  // B(p, j) = data[p * ld + j]: nr contiguous values per depth step,
      // a fixed count for the full strips of the AVX-512 tile, which the compiler turns into
      // two vector moves instead of a call to memmove per 128 bytes
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b.data + (p0 + p) * b.ld + j0 + s;
        for (int c = 0; c < 32; ++c) out[p * nr + c] = src[c];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p)
        std::copy_n(b.data + (p0 + p) * b.ld + j0 + s, cols, out + p * nr);
    }
  }
}

// One pass over rows x cols of C: c = clamp(c * scale + bias + residual, bottom, top), each term
// present or not at compile time so that the loop vectorizes without branches.
template <bool kScale, bool kBias, bool kResidual>
inline void epilogue_pass(const float* scale, const float* bias, const float* residual, int64_t ldr,
                          float bottom, float top, int64_t rows, int64_t cols, float* c,
                          int64_t ldc) {
  for (int64_t r = 0; r < rows; ++r) {
    float* __restrict row = c + r * ldc;
    const float* __restrict res = kResidual ? residual + r * ldr : nullptr;
    for (int64_t j = 0; j < cols; ++j) {
      float v = row[j];
      if constexpr (kScale) v *= scale[j];
      if constexpr (kBias) v += bias[j];
      if constexpr (kResidual) v += res[j];
      row[j] = std::min(std::max(v, bottom), top);  // (a NaN passes through both)
    }
  }
}

}  // namespace

// The epilogue on the tile C[i0.., j0..] of rows x cols (indices relative to the call's C).
CNN_TARGET_CLONES void apply_epilogue(const GemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows,
                                      int64_t cols, float* c, int64_t ldc) {
  const float top = e.relu ? e.relu_max : std::numeric_limits<float>::infinity();
  const float bottom = e.relu ? 0.0f : -std::numeric_limits<float>::infinity();
  const float* scale = e.scale != nullptr ? e.scale + j0 : nullptr;
  const float* bias = e.bias != nullptr ? e.bias + j0 : nullptr;
  const float* res = e.residual != nullptr ? e.residual + i0 * e.ldr + j0 : nullptr;
  const int terms =
      (scale != nullptr ? 4 : 0) | (bias != nullptr ? 2 : 0) | (res != nullptr ? 1 : 0);
#define CNN_EPILOGUE_CASE(n, s, b, r) \
  case n:                             \
    return epilogue_pass<s, b, r>(scale, bias, res, e.ldr, bottom, top, rows, cols, c, ldc);
  switch (terms) {
    CNN_EPILOGUE_CASE(0, false, false, false)
    CNN_EPILOGUE_CASE(1, false, false, true)
    CNN_EPILOGUE_CASE(2, false, true, false)
    CNN_EPILOGUE_CASE(3, false, true, true)
    CNN_EPILOGUE_CASE(4, true, false, false)
    CNN_EPILOGUE_CASE(5, true, false, true)
    CNN_EPILOGUE_CASE(6, true, true, false)
    default:
      CNN_EPILOGUE_CASE(7, true, true, true)
  }
#undef CNN_EPILOGUE_CASE
}

namespace {

// e's terms at C[i, j] (indices relative to the call's C), for a microkernel.
GemmTileEpilogue tile_epilogue(const GemmEpilogue& e, int64_t i, int64_t j) {
  return {e.scale != nullptr ? e.scale + j : nullptr,
          e.bias != nullptr ? e.bias + j : nullptr,
          e.residual != nullptr ? e.residual + i * e.ldr + j : nullptr,
          e.ldr,
          e.relu ? 0.0f : -std::numeric_limits<float>::infinity(),
          e.relu ? e.relu_max : std::numeric_limits<float>::infinity()};
}

// C rows [0, M) x columns [0, N), where A's rows start at row_offset and B's columns at
// col_offset of the full problem (the packers index the full problem; C, bias and residual
// are already offset).
// With b_packed (gemm_pack_b of the full problem, padded_n columns per depth step), B is read
// from there instead of being packed.
void gemm_serial(const GemmMicrokernel& kernel, const GemmA& a, const GemmB& b, int64_t row_offset,
                 int64_t col_offset, int64_t M, int64_t N, int64_t K, float beta, float* C,
                 int64_t ldc, const GemmEpilogue& e, const float* b_packed = nullptr,
                 int64_t padded_n = 0) {
  thread_local AlignedBuffer a_buf, b_buf;
  const int mr = kernel.mr, nr = kernel.nr;
  const int64_t mc_max = kMCStrips * mr;
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    const int64_t nc_padded = (nc + nr - 1) / nr * nr;
    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = std::min(kKC, K - pc);
      const float beta_here = pc == 0 ? beta : 1.0f;
      const bool last = pc + kc == K;
      const float* bp = nullptr;
      if (b_packed != nullptr) {
        bp = b_packed + pc * padded_n + (col_offset + jc) * kc;
      } else {
        float* packed = b_buf.get(static_cast<size_t>(kc * nc_padded));
        pack_b(b, pc, kc, col_offset + jc, nc, nr, packed);
        bp = packed;
      }
      for (int64_t ic = 0; ic < M; ic += mc_max) {
        const int64_t mc = std::min(mc_max, M - ic);
        const int64_t mc_padded = (mc + mr - 1) / mr * mr;
        // a row-major A is read in place where the ISA has a kernel for it
        const bool in_place = kernel.rows != nullptr && !a.pack && !a.trans;
        float* ap = in_place ? nullptr : a_buf.get(static_cast<size_t>(kc * mc_padded));
        if (a.pack) {
          a.pack(row_offset + ic, mc, pc, kc, mr, ap);
        } else if (!in_place) {
          pack_a_matrix(a, row_offset + ic, mc, pc, kc, mr, ap);
        }
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int tile_n = static_cast<int>(std::min<int64_t>(nr, nc - jr));
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int tile_m = static_cast<int>(std::min<int64_t>(mr, mc - ir));
            float* c = C + (ic + ir) * ldc + jc + jr;
            if (in_place) {  // the epilogue, if any, in the kernel's registers
              const GemmTileEpilogue te = tile_epilogue(e, ic + ir, jc + jr);
              kernel.rows(kc, a.data + (row_offset + ic + ir) * a.ld + pc, a.ld, bp + jr * kc, c,
                          ldc, beta_here, tile_m, tile_n, last && !e.empty() ? &te : nullptr);
              continue;
            }
            kernel.fn(kc, ap + ir * kc, bp + jr * kc, c, ldc, beta_here, tile_m, tile_n);
            if (last && !e.empty()) apply_epilogue(e, ic + ir, jc + jr, tile_m, tile_n, c, ldc);
          }
        }
      }
    }
  }
}

// C[i, j] = A(i, :) . B(:, j) for a few rows of a plain A and a B stored transposed (B(p, j) =
// data[j * ld + p], as a Linear layer's weight [out, in]): each output is a dot product of two
// contiguous vectors, so nothing is packed. A batch-1 classifier is such a product, and there
// packing B (a scalar transposition of the whole weight) cost more than the product itself.
// Each dot product is summed in 16 lanes and then across them, in a fixed order.
CNN_TARGET_CLONES void dot_rows_trans_b(const GemmA& a, const GemmB& b, int64_t M, int64_t j0,
                                        int64_t j1, int64_t K, float beta, float* C, int64_t ldc) {
  constexpr int kLanes = 16;
  for (int64_t j = j0; j < j1; ++j) {
    const float* __restrict bj = b.data + j * b.ld;
    for (int64_t i = 0; i < M; ++i) {
      const float* __restrict ai = a.data + i * a.ld;
      float lanes[kLanes] = {};
      int64_t p = 0;
      for (; p + kLanes <= K; p += kLanes)
        for (int l = 0; l < kLanes; ++l) lanes[l] += ai[p + l] * bj[p + l];
      for (int l = 0; p < K; ++p, ++l) lanes[l] += ai[p] * bj[p];
      float sum = 0.0f;
      for (int l = 0; l < kLanes; ++l) sum += lanes[l];
      float& c = C[i * ldc + j];
      c = beta == 0.0f ? sum : sum + beta * c;
    }
  }
}

}  // namespace

void gemm_f32(const GemmA& a, const GemmB& b, int64_t M, int64_t N, int64_t K, float beta, float* C,
              int64_t ldc, const GemmEpilogue& e) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int64_t i = 0; i < M; ++i) {
      float* row = C + i * ldc;
      for (int64_t j = 0; j < N; ++j) row[j] = beta == 0.0f ? 0.0f : beta * row[j];
    }
    if (!e.empty()) apply_epilogue(e, 0, 0, M, N, C, ldc);
    return;
  }
  if (M <= kDotRowsMax && b.trans && !a.pack && !a.trans) {
    parallel_for(N, 16, [&](int64_t j0, int64_t j1) {
      dot_rows_trans_b(a, b, M, j0, j1, K, beta, C, ldc);
      if (!e.empty()) {
        GemmEpilogue sub = e;
        if (sub.scale != nullptr) sub.scale += j0;
        if (sub.bias != nullptr) sub.bias += j0;
        if (sub.residual != nullptr) sub.residual += j0;
        apply_epilogue(sub, 0, 0, M, j1 - j0, C + j0, ldc);
      }
    });
    return;
  }
  const GemmMicrokernel& kernel = gemm_microkernel_for(N);
  const double flops =
      2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (flops < 2.0 * 64 * 64 * 64 || num_threads() == 1) {
    gemm_serial(kernel, a, b, 0, 0, M, N, K, beta, C, ldc, e);
    return;
  }
  // Split the longer side of C between threads, in whole tiles.
  if (M >= N) {
    parallel_for(M, kernel.mr, [&](int64_t i0, int64_t i1) {
      GemmEpilogue sub = e;
      if (sub.residual != nullptr) sub.residual += i0 * sub.ldr;
      gemm_serial(kernel, a, b, i0, 0, i1 - i0, N, K, beta, C + i0 * ldc, ldc, sub);
    });
  } else {
    parallel_for(N, kernel.nr, [&](int64_t j0, int64_t j1) {
      GemmEpilogue sub = e;
      if (sub.scale != nullptr) sub.scale += j0;
      if (sub.bias != nullptr) sub.bias += j0;
      if (sub.residual != nullptr) sub.residual += j0;
      gemm_serial(kernel, a, b, 0, j0, M, j1 - j0, K, beta, C + j0, ldc, sub);
    });
  }
}

void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_f32(GemmA{A, lda, trans_a, {}}, GemmB{B, ldb, trans_b}, M, N, K, beta, C, ldc);
}

void gemm_f32_packed_ab(const GemmMicrokernel& kernel, const float* a, int64_t rows_padded,
                        const float* b, int64_t M, int64_t N, int64_t K, int64_t depth_slice,
                        float* c, int64_t ldc) {
  const int64_t mr = kernel.mr, nr = kernel.nr;
  const int64_t n_padded = (N + nr - 1) / nr * nr;
  for (int64_t j = 0; j < N; j += nr) {
    const int tile_n = static_cast<int>(std::min(nr, N - j));
    for (int64_t pc = 0; pc < K; pc += depth_slice) {
      const int64_t depth = std::min(depth_slice, K - pc);
      const float* b_strip = b + pc * n_padded + j * depth;
      for (int64_t s = 0; s < M; s += mr)
        kernel.fn(depth, a + pc * rows_padded + s * depth, b_strip, c + s * ldc + j, ldc,
                  pc == 0 ? 0.0f : 1.0f, static_cast<int>(std::min(mr, M - s)), tile_n);
    }
  }
}

int64_t gemm_packed_b_depth() {
  return kKC;
}

int64_t gemm_packed_b_floats(int64_t K, int64_t N) {
  const int64_t nr = gemm_microkernel_for(N).nr;
  return K * ((N + nr - 1) / nr * nr);
}

void gemm_pack_b(const GemmB& b, int64_t K, int64_t N, float* out) {
  const int64_t nr = gemm_microkernel_for(N).nr;
  const int64_t padded_n = (N + nr - 1) / nr * nr;
  parallel_for((K + kKC - 1) / kKC, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t pc = s * kKC;
      pack_b(b, pc, std::min(kKC, K - pc), 0, N, static_cast<int>(nr), out + pc * padded_n);
    }
  });
}

void gemm_f32_packed_b(const GemmA& a, const float* b_packed, int64_t M, int64_t N, int64_t K,
                       float* C, int64_t ldc, const GemmEpilogue& e) {
  if (M <= 0 || N <= 0) return;
  const GemmMicrokernel& kernel = gemm_microkernel_for(N);
  const int64_t padded_n = (N + kernel.nr - 1) / kernel.nr * kernel.nr;
  const GemmB none{};
  if (K <= 0) {
    gemm_f32(a, none, M, N, K, 0.0f, C, ldc, e);
    return;
  }
  const double flops =
      2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (flops < 2.0 * 64 * 64 * 64 || num_threads() == 1) {
    gemm_serial(kernel, a, none, 0, 0, M, N, K, 0.0f, C, ldc, e, b_packed, padded_n);
    return;
  }
  // Rows are split when there are enough for every thread to fill its tiles, always when A is
  // packed from an image (split by columns, every thread would pack all of A); otherwise the
  // columns, in whole strips.
  const int64_t rows_each = M / num_threads();
  if (M >= N || (a.pack && rows_each >= 4 * kernel.mr) || N < 2 * kernel.nr) {
    parallel_for(M, kernel.mr, [&](int64_t i0, int64_t i1) {
      GemmEpilogue sub = e;
      if (sub.residual != nullptr) sub.residual += i0 * sub.ldr;
      gemm_serial(kernel, a, none, i0, 0, i1 - i0, N, K, 0.0f, C + i0 * ldc, ldc, sub, b_packed,
                  padded_n);
    });
    return;
  }
  parallel_for(N, kernel.nr, [&](int64_t j0, int64_t j1) {
    GemmEpilogue sub = e;
    if (sub.scale != nullptr) sub.scale += j0;
    if (sub.bias != nullptr) sub.bias += j0;
    if (sub.residual != nullptr) sub.residual += j0;
    gemm_serial(kernel, a, none, 0, j0, M, j1 - j0, K, 0.0f, C + j0, ldc, sub, b_packed, padded_n);
  });
}

const GemmMicrokernel& gemm_microkernel() {
  return kernels_for(kernel_isa()).wide;
}

const GemmMicrokernel& gemm_microkernel_for(int64_t n) {
  const IsaKernels& k = kernels_for(kernel_isa());
  return n <= k.narrow.nr ? k.narrow : k.wide;
}

std::string gemm_isa() {
  return isa_name(kernel_isa());
}

void set_gemm_isa(const std::string& isa) {
  const std::optional<Isa> parsed = parse_isa(isa);
  CNN_CHECK(parsed.has_value(), "set_gemm_isa: unknown instruction set '", isa,
            "' (expected avx512, avx2 or scalar)");
  CNN_CHECK(cpu_supports(*parsed), "set_gemm_isa: this CPU lacks ",
            *parsed == Isa::avx512 ? "AVX-512F/VL" : "AVX2+FMA");
  set_kernel_isa(*parsed);
}

std::vector<std::string> gemm_isas_supported() {
  std::vector<std::string> out;
  for (Isa isa : supported_isas()) out.emplace_back(isa_name(isa));
  return out;
}

}  // namespace cnn::kernels::cpu
