// The GEMM family: what ops call. The plain row-major product of kernels/cpu/gemm.h (the
// packed, cache-blocked GEMM with a microkernel per instruction set; kernels/ref/gemm_ref.h is
// its oracle), and its epilogue applied to a finished matrix.
#pragma once

#include <cstdint>
#include <string>

#include "cnn/tensor.h"
#include "kernels/gemm_types.h"

namespace cnn::kernels {

// C[M, N] = op(A)[M, K] * op(B)[K, N] + beta * C[M, N], op(X) = X or X^T; lda/ldb/ldc are row
// strides in elements.
void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// e applied to rows x cols of C, whose first element is C[i0, j0] of the product e was made
// for (e's scale, bias and residual are indexed from there).
void apply_gemm_epilogue(const GemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols,
                         float* c, int64_t ldc);

// A fully connected layer prepared for inference: y[M, N] = x[M, K] * W^T + bias, W [N, K]
// (Linear's layout) copied in and, for the instruction set in use, also packed as the GEMM's B.
// A few rows (batch 1 to 4) read W as it is, each output a dot product of two contiguous rows;
// more rows read the packed copy, so that no call repacks the weight.
class PreparedLinear {
 public:
  PreparedLinear(int64_t n, int64_t k, const float* w, const float* bias);
  int64_t out_features() const { return n_; }
  int64_t in_features() const { return k_; }
  // Packs the weight for products of m rows, if they need it (at preparation).
  void prepare(int64_t m);
  // y [m, N] for x [m, K]; m rows must have been prepared.
  void forward(int64_t m, const float* x, float* y) const;
  int64_t packed_bytes() const;

 private:
  int64_t n_, k_;
  Tensor w_, bias_;         // [N, K] and [N] (undefined without a bias)
  Tensor packed_;           // W^T packed as the GEMM's B, when prepared for more rows
  std::string packed_isa_;  // the instruction set it was packed for
};

}  // namespace cnn::kernels
