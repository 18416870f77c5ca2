// Cache-blocked GEMM (Goto/BLIS loop order): for each NC-wide panel of B and KC-deep slice of
// K, B is packed into NR-wide strips that stay in L2/L3; for each MC-tall block of A, A is
// packed into MR-tall strips that stay in L2; the microkernel then sweeps the tiles.
// Threads take disjoint row (or column) ranges of C, so every element of C is computed by
// one thread in a fixed order: results do not depend on timing.
#include "kernels/cpu/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "cnn/error.h"
#include "cnn/parallel.h"

namespace cnn::kernels {
namespace {

constexpr int64_t kMC = 120;  // rows of A per packed block (a multiple of MR)
constexpr int64_t kKC = 256;  // depth of a packed slice
constexpr int64_t kNC = 2048; // columns of B per packed panel (a multiple of NR)

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

GemmMicrokernel choose_initial() {
  const char* env = std::getenv("CNN_ISA");
  if (env != nullptr && std::string(env) == "scalar") return gemm_f32_6x16_scalar;
  return cpu_has_avx2() ? gemm_f32_6x16_avx2 : gemm_f32_6x16_scalar;
}

GemmMicrokernel g_microkernel = choose_initial();

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

struct Operand {
  const float* data;
  int64_t ld;
  bool trans;
};

// Packs rows [i0, i0+mc) x depth [p0, p0+kc) of op(A) into MR-tall strips, zero-filled:
// strip s holds, for each depth p, the MR values A(i0+s+0..MR-1, p0+p) side by side.
void pack_a(const Operand& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
  for (int64_t s = 0; s < mc; s += kGemmMR, out += kc * kGemmMR) {
    const int64_t rows = std::min<int64_t>(kGemmMR, mc - s);
    if (rows < kGemmMR) std::fill_n(out, kc * kGemmMR, 0.0f);
    if (a.trans) {  // A(i, p) = data[p * ld + i]: each depth step reads MR contiguous values
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a.data + (p0 + p) * a.ld + i0 + s;
        for (int64_t r = 0; r < rows; ++r) out[p * kGemmMR + r] = src[r];
      }
    } else {  // A(i, p) = data[i * ld + p]: each row is read contiguously
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = a.data + (i0 + s + r) * a.ld + p0;
        for (int64_t p = 0; p < kc; ++p) out[p * kGemmMR + r] = src[p];
      }
    }
  }
}

// Packs depth [p0, p0+kc) x columns [j0, j0+nc) of op(B) into NR-wide strips, zero-filled:
// strip s holds, for each depth p, the NR values B(p0+p, j0+s+0..NR-1) side by side.
void pack_b(const Operand& b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* out) {
  for (int64_t s = 0; s < nc; s += kGemmNR, out += kc * kGemmNR) {
    const int64_t cols = std::min<int64_t>(kGemmNR, nc - s);
    if (cols < kGemmNR) std::fill_n(out, kc * kGemmNR, 0.0f);
    if (b.trans) {  // B(p, j) = data[j * ld + p]: each column is read contiguously
      for (int64_t c = 0; c < cols; ++c) {
        const float* src = b.data + (j0 + s + c) * b.ld + p0;
        for (int64_t p = 0; p < kc; ++p) out[p * kGemmNR + c] = src[p];
      }
    } else {  // B(p, j) = data[p * ld + j]: each depth step copies NR contiguous values
      for (int64_t p = 0; p < kc; ++p)
        std::copy_n(b.data + (p0 + p) * b.ld + j0 + s, cols, out + p * kGemmNR);
    }
  }
}

void gemm_serial(const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K, float beta,
                 float* C, int64_t ldc) {
  thread_local AlignedBuffer a_buf, b_buf;
  const GemmMicrokernel micro = g_microkernel;
  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    const int64_t nc_padded = (nc + kGemmNR - 1) / kGemmNR * kGemmNR;
    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = std::min(kKC, K - pc);
      const float beta_here = pc == 0 ? beta : 1.0f;
      float* bp = b_buf.get(static_cast<size_t>(kc * nc_padded));
      pack_b(b, pc, kc, jc, nc, bp);
      for (int64_t ic = 0; ic < M; ic += kMC) {
        const int64_t mc = std::min(kMC, M - ic);
        const int64_t mc_padded = (mc + kGemmMR - 1) / kGemmMR * kGemmMR;
        float* ap = a_buf.get(static_cast<size_t>(kc * mc_padded));
        pack_a(a, ic, mc, pc, kc, ap);
        for (int64_t jr = 0; jr < nc; jr += kGemmNR) {
          const int nr = static_cast<int>(std::min<int64_t>(kGemmNR, nc - jr));
          for (int64_t ir = 0; ir < mc; ir += kGemmMR) {
            const int mr = static_cast<int>(std::min<int64_t>(kGemmMR, mc - ir));
            micro(kc, ap + ir * kc, bp + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc, beta_here,
                  mr, nr);
          }
        }
      }
    }
  }
}

void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

}  // namespace

void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const Operand a{A, lda, trans_a}, b{B, ldb, trans_b};
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  if (flops < 2.0 * 64 * 64 * 64 || num_threads() == 1) {
    gemm_serial(a, b, M, N, K, beta, C, ldc);
    return;
  }
  // Split the longer side of C between threads, in whole tiles.
  if (M >= N) {
    parallel_for(M, kGemmMR, [&](int64_t i0, int64_t i1) {
      const Operand sub{trans_a ? A + i0 : A + i0 * lda, lda, trans_a};
      gemm_serial(sub, b, i1 - i0, N, K, beta, C + i0 * ldc, ldc);
    });
  } else {
    parallel_for(N, kGemmNR, [&](int64_t j0, int64_t j1) {
      const Operand sub{trans_b ? B + j0 * ldb : B + j0, ldb, trans_b};
      gemm_serial(a, sub, M, j1 - j0, K, beta, C + j0, ldc);
    });
  }
}

std::string gemm_isa() { return g_microkernel == gemm_f32_6x16_avx2 ? "avx2" : "scalar"; }

void set_gemm_isa(const std::string& isa) {
  if (isa == "scalar") {
    g_microkernel = gemm_f32_6x16_scalar;
  } else if (isa == "avx2") {
    CNN_CHECK(cpu_has_avx2(), "set_gemm_isa: this CPU lacks AVX2+FMA");
    g_microkernel = gemm_f32_6x16_avx2;
  } else {
    fail("set_gemm_isa: unknown instruction set '", isa, "' (expected avx2 or scalar)");
  }
}

}  // namespace cnn::kernels
