#include "kernels/gemm.h"

#include <algorithm>

#include "cnn/error.h"
#include "kernels/cpu/gemm.h"

namespace cnn::kernels {

void gemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
              int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  cpu::gemm_f32(trans_a, trans_b, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

void apply_gemm_epilogue(const GemmEpilogue& e, int64_t i0, int64_t j0, int64_t rows, int64_t cols,
                         float* c, int64_t ldc) {
  cpu::apply_epilogue(e, i0, j0, rows, cols, c, ldc);
}

namespace {

// Products of at most this many rows read W in place (cpu::gemm_f32's dot products).
constexpr int64_t kInPlaceRows = 4;

}  // namespace

PreparedLinear::PreparedLinear(int64_t n, int64_t k, const float* w, const float* bias)
    : n_(n), k_(k), w_(Tensor::empty({n, k})) {
  std::copy_n(w, n * k, w_.data());
  if (bias != nullptr) {
    bias_ = Tensor::empty({n});
    std::copy_n(bias, n, bias_.data());
  }
}

void PreparedLinear::prepare(int64_t m) {
  const std::string isa = cpu::gemm_isa();
  if (m <= kInPlaceRows || (packed_.defined() && packed_isa_ == isa)) return;
  packed_ = Tensor::empty({std::max<int64_t>(1, cpu::gemm_packed_b_floats(k_, n_))});
  cpu::gemm_pack_b(cpu::GemmB{w_.data(), k_, true}, k_, n_, packed_.data());
  packed_isa_ = isa;
}

void PreparedLinear::forward(int64_t m, const float* x, float* y) const {
  const GemmEpilogue e{.bias = bias_.defined() ? bias_.data() : nullptr};
  if (m <= kInPlaceRows) {
    cpu::gemm_f32(cpu::GemmA{x, k_, false, {}}, cpu::GemmB{w_.data(), k_, true}, m, n_, k_, 0.0f, y,
                  n_, e);
    return;
  }
  CNN_CHECK(packed_.defined() && packed_isa_ == cpu::gemm_isa(),
            "prepared linear: not prepared for ", m, " rows");
  cpu::gemm_f32_packed_b(cpu::GemmA{x, k_, false, {}}, packed_.data(), m, n_, k_, y, n_, e);
}

int64_t PreparedLinear::packed_bytes() const {
  return (w_.numel() + (packed_.defined() ? packed_.numel() : 0)) * 4;
}

}  // namespace cnn::kernels
