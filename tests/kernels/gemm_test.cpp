// The fast GEMM against the reference triple loop, on shapes that hit every tile edge
// (MR x NR = 6x16 for avx2 and scalar, 12x32 and 24x16 for avx512) and block edge (MC = 8 MR,
// KC = 128, NC = 2048), with every microkernel the CPU runs; the epilogue, packed-A and
// in-place-A forms.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <limits>

#include "kernels/cpu/gemm.h"
#include "kernels/ref/gemm_ref.h"
#include "support/cases.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

struct GemmCase {
  int64_t m, n, k;
  bool ta, tb;
  float beta;
};

// The "gemm" cases of tests/cases/gemm.json that name `use` (transposes and beta default to
// none and 0).
std::vector<GemmCase> gemm_cases(const std::string& use) {
  std::vector<GemmCase> cases;
  for (const nlohmann::json& j : testing::cases_for("gemm", use))
    cases.push_back({j.at("m").get<int64_t>(), j.at("n").get<int64_t>(), j.at("k").get<int64_t>(),
                     testing::field<bool>(j, "ta", false), testing::field<bool>(j, "tb", false),
                     testing::field<float>(j, "beta", 0.0f)});
  return cases;
}

void check(const GemmCase& c) {
  const int64_t lda = (c.ta ? c.m : c.k) + 3, ldb = (c.tb ? c.k : c.n) + 1, ldc = c.n + 5;
  const Tensor a = testing::randn({(c.ta ? c.k : c.m) * lda}, 1);
  const Tensor b = testing::randn({(c.tb ? c.n : c.k) * ldb}, 2);
  Tensor c_fast = testing::randn({c.m * ldc}, 3);
  Tensor c_ref = c_fast.clone();
  kernels::cpu::gemm_f32(c.ta, c.tb, c.m, c.n, c.k, a.data(), lda, b.data(), ldb, c.beta,
                         c_fast.data(), ldc);
  kernels::ref::gemm_f32(c.ta, c.tb, c.m, c.n, c.k, a.data(), lda, b.data(), ldb, c.beta,
                         c_ref.data(), ldc);
  // Accumulation order differs; error grows like sqrt(k) * eps.
  EXPECT_LT(testing::relative_error(c_fast, c_ref), 2e-6 * std::sqrt(static_cast<double>(c.k) + 1))
      << "m=" << c.m << " n=" << c.n << " k=" << c.k << " ta=" << c.ta << " tb=" << c.tb
      << " beta=" << c.beta << " isa=" << kernels::cpu::gemm_isa();
}

class GemmIsa : public ::testing::TestWithParam<std::string> {};

bool supported(const std::string& isa) {
  const auto isas = kernels::cpu::gemm_isas_supported();
  return std::find(isas.begin(), isas.end(), isa) != isas.end();
}

TEST_P(GemmIsa, MatchesReferenceAtEveryEdge) {
  const std::string before = kernels::cpu::gemm_isa();
  if (!supported(GetParam())) GTEST_SKIP() << "CPU lacks " << GetParam();
  kernels::cpu::set_gemm_isa(GetParam());
  // m, n, k at and around every tile edge with each transpose form; then a product that
  // crosses the NC panel edge, and a threaded one over several KC slices
  for (const GemmCase& c : gemm_cases("kernel.edges")) check(c);
  kernels::cpu::set_gemm_isa(before);
}

// C = A * B + beta * C, then * scale[j] (when set) + bias[j] + residual[i, j], then ReLU
// clamped at relu_max (6: ReLU6); and A packed by a function (as convolutions pack their
// receptive fields) instead of read from a matrix.
TEST_P(GemmIsa, EpilogueAndPackedA) {
  const std::string before = kernels::cpu::gemm_isa();
  if (!supported(GetParam())) GTEST_SKIP() << "CPU lacks " << GetParam();
  kernels::cpu::set_gemm_isa(GetParam());
  for (const auto& [m, n, k, ta, tb, beta] : gemm_cases("kernel.epilogue")) {
    for (const bool with_scale : {false, true}) {
      const float relu_max = with_scale ? 6.0f : std::numeric_limits<float>::infinity();
      const Tensor a = testing::randn({m * k}, 1), b = testing::randn({k * n}, 2);
      const Tensor bias = testing::randn({n}, 3), residual = testing::randn({m * (n + 2)}, 4);
      const Tensor scale = testing::randn({n}, 6);
      Tensor c_ref = testing::randn({m * n}, 5);
      Tensor c_fast = c_ref.clone();
      kernels::ref::gemm_f32(false, false, m, n, k, a.data(), k, b.data(), n, 0.5f, c_ref.data(),
                             n);
      float* r = c_ref.data();
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          float v = r[i * n + j];
          if (with_scale) v *= scale.data()[j];
          v += bias.data()[j] + residual.data()[i * (n + 2) + j];
          r[i * n + j] = std::min(std::max(v, 0.0f), relu_max);
        }
      kernels::cpu::GemmA packed;
      // a copy, since clang 14 cannot capture a structured binding
      packed.pack = [&, lda = k](int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr,
                                 float* out) {
        for (int64_t s = 0; s < mc; s += mr, out += kc * mr)
          for (int64_t p = 0; p < kc; ++p)
            for (int64_t rr = 0; rr < mr; ++rr)
              out[p * mr + rr] = s + rr < mc ? a.data()[(i0 + s + rr) * lda + p0 + p] : 0.0f;
      };
      kernels::cpu::gemm_f32(packed, {b.data(), n, false}, m, n, k, 0.5f, c_fast.data(), n,
                             {.scale = with_scale ? scale.data() : nullptr,
                              .bias = bias.data(),
                              .residual = residual.data(),
                              .ldr = n + 2,
                              .relu = true,
                              .relu_max = relu_max});
      EXPECT_LT(testing::relative_error(c_fast, c_ref), 1e-5)
          << m << "x" << n << "x" << k << (with_scale ? " with scale, ReLU6" : "");
      // A as a plain matrix: read in place where the ISA can, the epilogue then applied in
      // the microkernel's registers
      Tensor c_plain = testing::randn({m * n}, 5);
      kernels::cpu::gemm_f32({a.data(), k, false, {}}, {b.data(), n, false}, m, n, k, 0.5f,
                             c_plain.data(), n,
                             {.scale = with_scale ? scale.data() : nullptr,
                              .bias = bias.data(),
                              .residual = residual.data(),
                              .ldr = n + 2,
                              .relu = true,
                              .relu_max = relu_max});
      EXPECT_LT(testing::relative_error(c_plain, c_ref), 1e-5)
          << m << "x" << n << "x" << k << (with_scale ? " with scale, ReLU6" : "") << " plain A";
    }
  }
  kernels::cpu::set_gemm_isa(before);
}

INSTANTIATE_TEST_SUITE_P(Kernels, GemmIsa, ::testing::Values("scalar", "avx2", "avx512"));

// A row-major A is read in place by the AVX-512 12x32 kernel and packed for the others; both
// forms sum each element in the same order, so they must agree to the last bit (edges of the
// 12-row tile included: rows past the matrix are never read).
TEST_P(GemmIsa, RowMajorAInPlaceEqualsPackedBitForBit) {
  const std::string before = kernels::cpu::gemm_isa();
  if (!supported(GetParam())) GTEST_SKIP() << "CPU lacks " << GetParam();
  kernels::cpu::set_gemm_isa(GetParam());
  for (const auto& [m, n, k, ta, tb, beta] : gemm_cases("kernel.row_major_a")) {
    const int64_t lda = k + 3;
    const Tensor a = testing::randn({m * lda}, 7), b = testing::randn({k * n}, 8);
    Tensor in_place = Tensor::zeros({m * n}), packed = Tensor::zeros({m * n});
    kernels::cpu::gemm_f32(false, false, m, n, k, a.data(), lda, b.data(), n, 0.0f, in_place.data(),
                           n);
    kernels::cpu::GemmA pack_a;
    pack_a.pack = [&](int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, float* out) {
      for (int64_t s = 0; s < mc; s += mr, out += kc * mr)
        for (int64_t p = 0; p < kc; ++p)
          for (int64_t rr = 0; rr < mr; ++rr)
            out[p * mr + rr] = s + rr < mc ? a.data()[(i0 + s + rr) * lda + p0 + p] : 0.0f;
    };
    kernels::cpu::gemm_f32(pack_a, {b.data(), n, false}, m, n, k, 0.0f, packed.data(), n);
    EXPECT_TRUE(testing::bit_identical(in_place, packed)) << m << "x" << n << "x" << k;
  }
  kernels::cpu::set_gemm_isa(before);
}

// Up to 4 rows times a transposed B (a batch-1 Linear layer) run as dot products, with the
// epilogue applied per column range; 5 rows go through the tiles again.
TEST(Gemm, FewRowsTimesTransposedBWithEpilogue) {
  for (const auto& [m, n, k, ta, tb, beta] : gemm_cases("kernel.few_rows")) {
    const Tensor a = testing::randn({m * k}, 1), b = testing::randn({n * (k + 2)}, 2);
    const Tensor bias = testing::randn({n}, 3), scale = testing::randn({n}, 4);
    const Tensor residual = testing::randn({m * n}, 5);
    Tensor c_ref = Tensor::zeros({m * n}), c_fast = Tensor::zeros({m * n});
    kernels::ref::gemm_f32(false, true, m, n, k, a.data(), k, b.data(), k + 2, 0.0f, c_ref.data(),
                           n);
    float* r = c_ref.data();
    for (int64_t i = 0; i < m * n; ++i)
      r[i] = std::min(
          std::max(r[i] * scale.data()[i % n] + bias.data()[i % n] + residual.data()[i], 0.0f),
          6.0f);
    kernels::cpu::gemm_f32({a.data(), k, false, {}}, {b.data(), k + 2, true}, m, n, k, 0.0f,
                           c_fast.data(), n,
                           {.scale = scale.data(),
                            .bias = bias.data(),
                            .residual = residual.data(),
                            .ldr = n,
                            .relu = true,
                            .relu_max = 6.0f});
    EXPECT_LT(testing::relative_error(c_fast, c_ref), 2e-6 * std::sqrt(static_cast<double>(k)))
        << m << "x" << n << "x" << k;
  }
}

TEST(Gemm, BitIdenticalRunToRun) {
  const auto [m, n, k, ta, tb, beta] = gemm_cases("kernel.bit_identical").at(0);  // 200x100x300
  const Tensor a = testing::randn({m * k}, 4), b = testing::randn({k * n}, 5);
  Tensor c1 = Tensor::zeros({m * n}), c2 = Tensor::zeros({m * n});
  kernels::cpu::gemm_f32(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c1.data(), n);
  kernels::cpu::gemm_f32(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c2.data(), n);
  EXPECT_TRUE(testing::bit_identical(c1, c2));
}

}  // namespace
}  // namespace cnn
