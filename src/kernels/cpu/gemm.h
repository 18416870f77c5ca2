// Single-precision matrix multiply, row-major:
//   C[M, N] = op(A)[M, K] * op(B)[K, N] + beta * C[M, N], then an optional epilogue
// op(X) is X or its transpose; lda/ldb/ldc are row strides in elements, so sub-matrices
// (one group's columns of a weight, say) are passed without copying. A may instead be
// produced by a packing function (GemmA::pack): a convolution packs its receptive fields
// straight from the image (implicit im2col) without ever writing the column matrix.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/isa.h"
#include "kernels/gemm_types.h"

namespace cnn::kernels::cpu {

// Applies e to rows x cols of C, whose first element is C[i0, j0] of the product e was made for
// (e's scale, bias and residual are indexed from there). For kernels that write a product
// without one (depthwise convolution).
void apply_epilogue(const GemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols,
                    float* c, int64_t ldc);

// Packs rows [i0, i0 + mc) x depth [p0, p0 + kc) of A into mr-tall strips, zero-padded to a
// multiple of mr rows: strip s holds, for each depth p, the mr values A(i0 + s*mr + r, p0 + p)
// side by side (out[(s * kc + p) * mr + r]).
using GemmPackA =
    std::function<void(int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, float* out)>;

struct GemmA {
  const float* data = nullptr;  // A, or op(A) = A^T when trans
  int64_t ld = 0;
  bool trans = false;
  GemmPackA pack;  // when set, replaces data/ld/trans
};

struct GemmB {
  const float* data = nullptr;
  int64_t ld = 0;
  bool trans = false;
};

void gemm_f32(const GemmA& a, const GemmB& b, int64_t M, int64_t N, int64_t K, float beta, float* C,
              int64_t ldc, const GemmEpilogue& epilogue = {});

// ---- B packed once (prepared inference: a layer's weight packed when the model is prepared) ----
// op(B) [K, N] packed for the microkernel gemm_microkernel_for(N): for each depth slice of
// gemm_packed_b_depth() values (the last may be shorter), every nr-wide strip of columns, each
// strip holding for each depth step its nr values side by side, zero-padded to a multiple of nr
// columns. The packing depends on K, N and the instruction set only, not on M.
int64_t gemm_packed_b_depth();
int64_t gemm_packed_b_floats(int64_t K, int64_t N);
void gemm_pack_b(const GemmB& b, int64_t K, int64_t N, float* out);
// C[M, N] = op(A) * B (beta 0) then the epilogue, with B as gemm_pack_b wrote it (for the same
// instruction set). A packed by a GemmPackA is packed once per row block: threads split the rows.
void gemm_f32_packed_b(const GemmA& a, const float* b_packed, int64_t M, int64_t N, int64_t K,
                       float* C, int64_t ldc, const GemmEpilogue& epilogue = {});

// The plain matrix form.
void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// A microkernel: C[mr, nr] = Ap * Bp (+ beta * C) over k steps of packed panels, where Ap
// holds MR values per step and Bp NR values per step; mr <= MR and nr <= NR.
using GemmMicrokernelFn = void (*)(int64_t k, const float* a_packed, const float* b_packed,
                                   float* c, int64_t ldc, float beta, int mr, int nr);

// The epilogue of one tile, for a microkernel to apply to its sums before storing them:
// c = min(max(c * scale[j] + bias[j] + residual[r * ldr + j], lo), hi), absent terms null
// (lo = -inf, hi = +inf without a ReLU). Pointers are at the tile's first row and column.
struct GemmTileEpilogue {
  const float* scale;
  const float* bias;
  const float* residual;
  int64_t ldr;
  float lo, hi;
};

// The same product with A read in place, rows lda apart (A(r, p) = a[r * lda + p]); rows past
// mr are not read. With e, the tile's epilogue is applied in registers before the store.
using GemmRowsMicrokernelFn = void (*)(int64_t k, const float* a, int64_t lda,
                                       const float* b_packed, float* c, int64_t ldc, float beta,
                                       int mr, int nr, const GemmTileEpilogue* e);

struct GemmMicrokernel {
  Isa isa;
  int mr, nr;  // its register tile
  GemmMicrokernelFn fn;
  GemmRowsMicrokernelFn rows = nullptr;  // where the ISA has one: a row-major A needs no packing
};

void gemm_f32_6x16_scalar(int64_t k, const float* a_packed, const float* b_packed, float* c,
                          int64_t ldc, float beta, int mr, int nr);
void gemm_f32_6x16_avx2(int64_t k, const float* a_packed, const float* b_packed, float* c,
                        int64_t ldc, float beta, int mr, int nr);
void gemm_f32_12x32_avx512(int64_t k, const float* a_packed, const float* b_packed, float* c,
                           int64_t ldc, float beta, int mr, int nr);
void gemm_f32_12x32_rows_avx512(int64_t k, const float* a, int64_t lda, const float* b_packed,
                                float* c, int64_t ldc, float beta, int mr, int nr,
                                const GemmTileEpilogue* e);
void gemm_f32_24x16_avx512(int64_t k, const float* a_packed, const float* b_packed, float* c,
                           int64_t ldc, float beta, int mr, int nr);

// C[M, N] = A * B with both operands packed by the caller (Winograd's transforms write them so),
// on one thread: A in depth slices of `depth_slice` values, each slice rows_padded rows (a
// multiple of kernel.mr) as mr-row strips, [slice][strip][p][r]; B as gemm_pack_b lays it out
// for kernel.nr with slices of the same depth. C is written, not accumulated.
void gemm_f32_packed_ab(const GemmMicrokernel& kernel, const float* a, int64_t rows_padded,
                        const float* b, int64_t M, int64_t N, int64_t K, int64_t depth_slice,
                        float* c, int64_t ldc);

// The microkernel in use: that of kernel_isa() (kernels/cpu/isa.h: the widest instruction set
// the CPU runs, which CNN_ISA=avx2 or CNN_ISA=scalar caps).
const GemmMicrokernel& gemm_microkernel();
// The microkernel a product N columns wide runs on (a narrower tile for N <= 16 with AVX-512).
const GemmMicrokernel& gemm_microkernel_for(int64_t n);
// kernel_isa() and set_kernel_isa() by name ("avx512", "avx2", "scalar"), for tests that loop
// over the instruction sets; set_gemm_isa raises cnn::Error for an unknown name or an ISA the
// CPU lacks.
std::string gemm_isa();
void set_gemm_isa(const std::string& isa);
// The ISAs this CPU can run, widest first.
std::vector<std::string> gemm_isas_supported();

}  // namespace cnn::kernels::cpu
