// The fast GEMM against the reference triple loop, on shapes that hit every tile edge
// (MR = 6, NR = 16) and block edge (MC = 120, KC = 256), with both microkernels.
#include <gtest/gtest.h>

#include "kernels/cpu/gemm.h"
#include "kernels/ref/gemm_ref.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

struct GemmCase {
  int64_t m, n, k;
  bool ta, tb;
  float beta;
};

void check(const GemmCase& c) {
  const int64_t lda = (c.ta ? c.m : c.k) + 3, ldb = (c.tb ? c.k : c.n) + 1, ldc = c.n + 5;
  const Tensor a = testing::randn({(c.ta ? c.k : c.m) * lda}, 1);
  const Tensor b = testing::randn({(c.tb ? c.n : c.k) * ldb}, 2);
  Tensor c_fast = testing::randn({c.m * ldc}, 3);
  Tensor c_ref = c_fast.clone();
  kernels::gemm_f32(c.ta, c.tb, c.m, c.n, c.k, a.data(), lda, b.data(), ldb, c.beta, c_fast.data(), ldc);
  kernels::ref::gemm_f32(c.ta, c.tb, c.m, c.n, c.k, a.data(), lda, b.data(), ldb, c.beta, c_ref.data(), ldc);
  // Accumulation order differs; error grows like sqrt(k) * eps.
  EXPECT_LT(testing::relative_error(c_fast, c_ref), 2e-6 * std::sqrt(static_cast<double>(c.k) + 1))
      << "m=" << c.m << " n=" << c.n << " k=" << c.k << " ta=" << c.ta << " tb=" << c.tb
      << " beta=" << c.beta << " isa=" << kernels::gemm_isa();
}

class GemmIsa : public ::testing::TestWithParam<std::string> {};

TEST_P(GemmIsa, MatchesReferenceAtEveryEdge) {
  const std::string before = kernels::gemm_isa();
  if (GetParam() == "avx2" && before != "avx2") GTEST_SKIP() << "CPU lacks AVX2";
  kernels::set_gemm_isa(GetParam());
  for (int64_t m : {1, 5, 6, 7, 13, 121, 250})
    for (int64_t n : {1, 15, 16, 17, 33})
      for (int64_t k : {1, 7, 257})
        for (int t = 0; t < 4; ++t) check({m, n, k, (t & 1) != 0, (t & 2) != 0, t == 3 ? 1.0f : 0.0f});
  check({64, 2100, 40, false, false, 0.5f});  // crosses the NC panel edge
  check({300, 300, 600, false, true, 1.0f});  // threaded, several KC slices
  kernels::set_gemm_isa(before);
}

INSTANTIATE_TEST_SUITE_P(Kernels, GemmIsa, ::testing::Values("scalar", "avx2"));

TEST(Gemm, BitIdenticalRunToRun) {
  const Tensor a = testing::randn({200 * 300}, 4), b = testing::randn({300 * 100}, 5);
  Tensor c1 = Tensor::zeros({200 * 100}), c2 = Tensor::zeros({200 * 100});
  kernels::gemm_f32(false, false, 200, 100, 300, a.data(), 300, b.data(), 100, 0.0f, c1.data(), 100);
  kernels::gemm_f32(false, false, 200, 100, 300, a.data(), 300, b.data(), 100, 0.0f, c2.data(), 100);
  EXPECT_TRUE(testing::bit_identical(c1, c2));
}

}  // namespace
}  // namespace cnn
