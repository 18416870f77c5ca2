// Winograd F(4x4, 3x3) against the reference convolution: output sizes that leave every
// overhang of the 4x4 tiles (0 to 3 pixels), channel counts that are not multiples of the
// 16-lane transforms or of the microkernels' widths, padding from 0 to 2 (and asymmetric), both
// ways of running the products (blocks of tiles in L2 with the packed weight, and one product
// per transform position over all tiles), the epilogue, every ISA the CPU has, and the
// stride-1 backward data that the dispatcher sends through Winograd.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/conv2d.h"
#include "kernels/cpu/conv2d_winograd.h"
#include "kernels/cpu/gemm.h"
#include "kernels/ref/conv2d_ref.h"
#include "support/cases.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using kernels::Conv2dGeometry;

// The transforms multiply by up to 8 (A) and 4 (B) and divide by 24 (G) before the products
// and after them, so Winograd's float result is further from the exact one than the direct
// sum's (measured: 1e-6 to 2.3e-6 relative for 16 to 512 channels, against 2e-7 for the
// implicit GEMM). The bound leaves a factor of 4 over the worst case seen.
constexpr double kWinogradTolerance = 1e-5;

struct Case {
  Shape x;  // [N, H, W, C]
  int64_t out;
  Pad2d pad = 1;
};

std::string describe(const Case& c) {
  std::ostringstream s;
  s << "x " << to_string(c.x) << " O " << c.out << " pad " << c.pad;
  return s.str();
}

Conv2dGeometry geometry(const Case& c) {
  return kernels::make_conv2d_geometry(c.x, {3, 3, c.x[3], c.out}, 1, 1, c.pad, 1);
}

// y = max(conv + bias + residual, 0) by the reference, or plain conv + bias.
Tensor reference(const Conv2dGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b,
                 const Tensor* residual) {
  Tensor y = Tensor::empty({g.batch, g.out_h, g.out_w, g.out_c});
  kernels::ref::conv2d_forward(g, x.data(), w.data(), b.data(), y.data());
  if (residual != nullptr) {
    float* v = y.data();
    for (int64_t i = 0; i < y.numel(); ++i) v[i] = std::max(0.0f, v[i] + residual->data()[i]);
  }
  return y;
}

Tensor winograd(const Conv2dGeometry& g, const Tensor& x, const Tensor& w, const Tensor& b,
                const Tensor* residual) {
  Tensor y = Tensor::full({g.batch, g.out_h, g.out_w, g.out_c}, std::nanf(""));
  kernels::Conv2dEpilogue e;
  if (residual != nullptr) e = {.residual = residual->data(), .relu = true};
  kernels::cpu::conv2d_forward_winograd(g, x.data(), w.data(), b.data(), y.data(), e);
  return y;
}

// The 3x3 stride-1 cases of tests/cases/conv2d.json that name `use`, with their "epilogue" flag.
std::vector<std::pair<Case, bool>> winograd_cases(const std::string& use) {
  std::vector<std::pair<Case, bool>> cases;
  for (const nlohmann::json& j : testing::cases_for("conv2d", use)) {
    const Shape w = testing::shape_field(j, "w");
    cases.push_back({{testing::shape_field(j, "x"), w.at(3), testing::pad2d_field(j, "padding")},
                     testing::field<bool>(j, "epilogue", false)});
  }
  return cases;
}

void expect_matches_reference(const Case& c, bool fused_epilogue, uint64_t seed) {
  SCOPED_TRACE(describe(c) + (fused_epilogue ? " residual+relu" : ""));
  const Conv2dGeometry g = geometry(c);
  ASSERT_TRUE(kernels::cpu::conv2d_winograd_possible(g));
  const Tensor x = testing::randn(c.x, seed), w = testing::randn({3, 3, c.x[3], c.out}, seed + 1);
  const Tensor b = testing::randn({c.out}, seed + 2);
  const Tensor residual = testing::randn({g.batch, g.out_h, g.out_w, g.out_c}, seed + 3);
  const Tensor* r = fused_epilogue ? &residual : nullptr;
  EXPECT_LE(testing::relative_error(winograd(g, x, w, b, r), reference(g, x, w, b, r)),
            kWinogradTolerance);
}

TEST(Conv2dWinograd, MatchesReferenceAtEveryTileOverhang) {
  uint64_t seed = 100;
  for (const std::string& isa : kernels::cpu::gemm_isas_supported()) {
    SCOPED_TRACE("isa " + isa);
    const std::string before = kernels::cpu::gemm_isa();
    kernels::cpu::set_gemm_isa(isa);
    // out 5..8 x 9..12 pixels: overhangs 3, 2, 1, 0 in both directions; channels: a 16-lane
    // tail (3, 40), one 24x16 tile (O 16), 32-wide tiles and their tails; padding 0 and 2,
    // asymmetric, and wider than the kernel's reach (output larger than input)
    for (const auto& [c, fused] : winograd_cases("kernel.winograd"))
      expect_matches_reference(c, fused, seed += 4);
    kernels::cpu::set_gemm_isa(before);
  }
}

// Large enough for the blocks of tiles (2 x 28 x 27 images: 98 tiles against 48 per block at
// 32 + 32 channels; 100 tiles against 24 at 48 + 80, the last block partial) and, past
// 128 x 128 channels, for the products over all tiles.
TEST(Conv2dWinograd, MatchesReferenceInBlocksAndInOneProductPerPosition) {
  for (const std::string& isa : kernels::cpu::gemm_isas_supported()) {
    SCOPED_TRACE("isa " + isa);
    const std::string before = kernels::cpu::gemm_isa();
    kernels::cpu::set_gemm_isa(isa);
    uint64_t seed = 300;
    for (const auto& [c, fused] : winograd_cases("kernel.winograd_blocks")) {
      expect_matches_reference(c, fused, seed);
      seed += 4;
    }
    kernels::cpu::set_gemm_isa(before);
  }
}

// Blocks are formed the same way whatever the thread count, and each product element is summed
// in one fixed order: the same bits for 1 and 2 threads, and run to run.
TEST(Conv2dWinograd, BitIdenticalAcrossThreadCountsAndRuns) {
  const int before = num_threads();
  for (const auto& entry : winograd_cases("kernel.winograd_bit_identical")) {
    const Case& c = entry.first;
    SCOPED_TRACE(describe(c));
    const Conv2dGeometry g = geometry(c);
    const Tensor x = testing::randn(c.x, 1), w = testing::randn({3, 3, c.x[3], c.out}, 2);
    const Tensor b = testing::randn({c.out}, 3);
    set_num_threads(1);
    const Tensor one = winograd(g, x, w, b, nullptr);
    set_num_threads(2);
    const Tensor two = winograd(g, x, w, b, nullptr), again = winograd(g, x, w, b, nullptr);
    EXPECT_TRUE(testing::bit_identical(one, two));
    EXPECT_TRUE(testing::bit_identical(two, again));
  }
  set_num_threads(before);
}

// What the dispatcher does with a 3x3 convolution of 64 channels on eight 14 x 14 images (128
// tiles):
// the forward pass and the stride-1 backward data (a forward convolution of dy by the flipped
// weight) run Winograd, and both agree with the reference.
TEST(Conv2dWinograd, DispatcherRunsItForwardAndBackwardData) {
  const Conv2dGeometry g =
      kernels::make_conv2d_geometry({8, 14, 14, 64}, {3, 3, 64, 64}, 1, 1, 1, 1);
  ASSERT_EQ(kernels::conv2d_algorithm(g), "winograd");
  const Tensor x = testing::randn({8, 14, 14, 64}, 7), w = testing::randn({3, 3, 64, 64}, 8);
  const Tensor dy = testing::randn({8, 14, 14, 64}, 9);
  Tensor y = Tensor::empty(dy.shape()), y_ref = Tensor::empty(dy.shape());
  Tensor dx = Tensor::empty(x.shape()), dx_ref = Tensor::empty(x.shape());
  kernels::conv2d_forward(g, x.data(), w.data(), nullptr, y.data());
  kernels::ref::conv2d_forward(g, x.data(), w.data(), nullptr, y_ref.data());
  kernels::conv2d_backward_data(g, dy.data(), w.data(), dx.data());
  kernels::ref::conv2d_backward_data(g, dy.data(), w.data(), dx_ref.data());
  EXPECT_LE(testing::relative_error(y, y_ref), kWinogradTolerance);
  EXPECT_LE(testing::relative_error(dx, dx_ref), kWinogradTolerance);
  // too few tiles to pay for the weight transform, too few channels to pay for the others
  EXPECT_NE(kernels::conv2d_algorithm(
                kernels::make_conv2d_geometry({1, 14, 14, 256}, {3, 3, 256, 256}, 1, 1, 1, 1)),
            "winograd");
  EXPECT_NE(kernels::conv2d_algorithm(
                kernels::make_conv2d_geometry({128, 14, 14, 32}, {3, 3, 32, 32}, 1, 1, 1, 1)),
            "winograd");
}

}  // namespace
}  // namespace cnn
