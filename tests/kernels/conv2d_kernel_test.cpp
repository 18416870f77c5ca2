// The fast conv2d kernels (implicit GEMM, depthwise, the AVX-512 direct kernels, the strided
// backward data in phases, and every path's inference epilogue; Winograd has its own file)
// against the reference loops, for
// forward, backward data and backward weight, over a grid of every option: kernel sizes
// (square, rectangular, 1x1), strides, symmetric and asymmetric padding, dilation, groups,
// batch 1 and 2, non-square images, output widths that are not multiples of the GEMM's
// column tile and pixel counts that are not multiples of its row tile. The strided backward
// data is also run with a tiny scratch buffer so that it goes through many chunks of rows.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/conv2d.h"
#include "kernels/conv_case.h"
#include "kernels/cpu/conv2d_depthwise.h"
#include "kernels/cpu/conv2d_direct.h"
#include "kernels/cpu/conv2d_gemm.h"
#include "kernels/cpu/conv2d_strided.h"
#include "kernels/cpu/conv2d_winograd.h"
#include "kernels/cpu/gemm.h"
#include "kernels/ref/conv2d_ref.h"
#include "support/cases.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using kernels::Conv2dGeometry;

enum class Algo { gemm, gemm_small_chunks, depthwise, direct };

using testing::ConvCase;
using testing::describe;
using testing::geometry;

struct Results {
  Tensor y, dx, dw;
};

// Outputs start as NaN so that a kernel that fails to write an element is caught.
Tensor nan_filled(const Shape& shape) {
  return Tensor::full(shape, std::numeric_limits<float>::quiet_NaN());
}

Results run(const Conv2dGeometry& g, Algo algo, bool reference, const Tensor& x, const Tensor& w,
            const Tensor& bias, const Tensor& dy) {
  Results r{nan_filled({g.batch, g.out_h, g.out_w, g.out_c}),
            nan_filled({g.batch, g.in_h, g.in_w, g.in_c}),
            nan_filled({g.kernel_h, g.kernel_w, g.group_in(), g.out_c})};
  const float* b = bias.defined() ? bias.data() : nullptr;
  if (reference) {  // the reference kernels
    kernels::ref::conv2d_forward(g, x.data(), w.data(), b, r.y.data());
    kernels::ref::conv2d_backward_data(g, dy.data(), w.data(), r.dx.data());
    kernels::ref::conv2d_backward_weight(g, x.data(), dy.data(), r.dw.data());
  } else if (algo == Algo::direct) {
    kernels::cpu::conv2d_forward_direct(g, x.data(), w.data(), b, r.y.data());
    if (kernels::cpu::conv2d_direct_backward_data_applies(g)) {
      kernels::cpu::conv2d_backward_data_direct(g, dy.data(), w.data(), r.dx.data());
    } else {  // what kernels::conv2d_backward_data runs for strided direct convolutions
      kernels::cpu::conv2d_backward_data_gemm(g, dy.data(), w.data(), r.dx.data());
    }
    kernels::cpu::conv2d_backward_weight_direct(g, x.data(), dy.data(), r.dw.data());
  } else if (algo == Algo::depthwise) {
    kernels::cpu::conv2d_forward_depthwise(g, x.data(), w.data(), b, r.y.data());
    kernels::cpu::conv2d_backward_data_depthwise(g, dy.data(), w.data(), r.dx.data());
    kernels::cpu::conv2d_backward_weight_depthwise(g, x.data(), dy.data(), r.dw.data());
  } else {
    // A scratch buffer of 13 column rows: chunks of 12 rows (two GEMM row tiles), and a
    // shorter last chunk whenever N*OH*OW is not a multiple of 12.
    const int64_t k_total = g.kernel_h * g.kernel_w * g.in_c;
    const int64_t scratch = algo == Algo::gemm ? kernels::cpu::kConv2dScratchFloats : 13 * k_total;
    kernels::cpu::conv2d_forward_gemm(g, x.data(), w.data(), b, r.y.data());
    kernels::cpu::conv2d_backward_data_gemm(g, dy.data(), w.data(), r.dx.data(), scratch);
    kernels::cpu::conv2d_backward_weight_gemm(g, x.data(), dy.data(), r.dw.data());
  }
  return r;
}

// The fast kernels sum in float in another order than the double-precision reference, so
// the error grows like sqrt(terms summed) float epsilons (as for gemm_f32).
double tolerance(int64_t terms) {
  return 2e-6 * std::sqrt(static_cast<double>(terms) + 1.0);
}

void check(const ConvCase& c, Algo algo, bool with_bias, uint64_t seed) {
  SCOPED_TRACE(describe(c) + (with_bias ? " bias" : " no bias") + " algo " +
               std::to_string(static_cast<int>(algo)));
  const Conv2dGeometry g = geometry(c);
  ASSERT_GE(g.out_h, 1);
  ASSERT_GE(g.out_w, 1);
  if (algo == Algo::depthwise) {
    ASSERT_TRUE(kernels::cpu::conv2d_depthwise_applies(g));
  }
  if (algo == Algo::direct) {
    ASSERT_TRUE(kernels::cpu::conv2d_direct_applies(g));
  }
  const Tensor x = testing::randn(c.x, seed), w = testing::randn(c.w, seed + 1);
  const Tensor bias = with_bias ? testing::randn({g.out_c}, seed + 2) : Tensor();
  const Tensor dy = testing::randn({g.batch, g.out_h, g.out_w, g.out_c}, seed + 3);
  const Results fast = run(g, algo, false, x, w, bias, dy);
  const Results ref = run(g, algo, true, x, w, bias, dy);
  const int64_t taps = g.kernel_h * g.kernel_w;
  EXPECT_LE(testing::relative_error(fast.y, ref.y), tolerance(taps * g.group_in())) << "forward";
  EXPECT_LE(testing::relative_error(fast.dx, ref.dx), tolerance(taps * g.group_out())) << "data";
  EXPECT_LE(testing::relative_error(fast.dw, ref.dw), tolerance(g.batch * g.out_h * g.out_w))
      << "weight";
}

ConvCase conv_case(const nlohmann::json& j) {
  return {testing::shape_field(j, "x"),
          testing::shape_field(j, "w"),
          testing::field<int64_t>(j, "groups", 1),
          testing::size2_field(j, "stride", 1),
          testing::pad2d_field(j, "padding"),
          testing::size2_field(j, "dilation", 1)};
}

// The cases of tests/cases/conv2d.json that name `use`.
std::vector<ConvCase> conv_cases(const std::string& use) {
  std::vector<ConvCase> cases;
  for (const nlohmann::json& j : testing::cases_for("conv2d", use)) cases.push_back(conv_case(j));
  return cases;
}

// With every GEMM microkernel the CPU runs (row tiles of 6 and 12, column tiles of 16 and 32).
TEST(Conv2dKernels, GemmMatchesReferenceOverOptionGrid) {
  // Every combination of the options on a small non-square image, batch alternating 1 and 2;
  // O = 17 and 20 leave partial column tiles; groups 2 and 3 use strided sub-matrices.
  const auto cases = conv_cases("kernel.gemm_grid");
  const std::string before = kernels::cpu::gemm_isa();
  for (const std::string& isa : kernels::cpu::gemm_isas_supported()) {
    SCOPED_TRACE(isa);
    kernels::cpu::set_gemm_isa(isa);
    uint64_t seed = 100;
    for (const ConvCase& c : cases) {
      for (Algo algo : {Algo::gemm, Algo::gemm_small_chunks}) {
        seed += 4;  // alternates bias on and off
        check(c, algo, seed % 8 == 0, seed);
      }
    }
  }
  kernels::cpu::set_gemm_isa(before);
}

using ForwardFn = void (*)(const Conv2dGeometry&, const float*, const float*, const float*, float*,
                           const kernels::Conv2dEpilogue&);

// One epilogue configuration: scale on or off, the ReLU on or off and its top.
struct EpilogueCase {
  bool scale;
  bool relu;
  float relu_max;
};

// The inference epilogue, y = clamp(conv * scale + bias + residual) (conv + bias without
// scale), against the reference conv followed by the separate steps. relu_max = 6 without
// relu must not clamp. The error is relative to the largest value before the clamp: a ReLU6
// caps the outputs at 6, not the convolution's rounding, which scales with its own values.
void expect_fused_epilogue(const ConvCase& c, ForwardFn forward, const EpilogueCase& ec) {
  SCOPED_TRACE(describe(c) + (ec.scale ? " with scale" : "") + (ec.relu ? " relu" : "") +
               " relu_max " + std::to_string(ec.relu_max));
  const Conv2dGeometry g = geometry(c);
  const Tensor x = testing::randn(c.x, 1), w = testing::randn(c.w, 2),
               b = testing::randn({g.out_c}, 3), scale = testing::randn({g.out_c}, 5);
  const Tensor residual = testing::randn({g.batch, g.out_h, g.out_w, g.out_c}, 4);
  Tensor expected = Tensor::empty(residual.shape()), fused = nan_filled(residual.shape());
  kernels::ref::conv2d_forward(g, x.data(), w.data(), ec.scale ? nullptr : b.data(),
                               expected.data());
  float* e = expected.data();
  double magnitude = 0.0;  // of the values before the clamp, which can only shrink an error
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const int64_t o = i % g.out_c;
    if (ec.scale) e[i] = e[i] * scale.data()[o] + b.data()[o];
    e[i] += residual.data()[i];
    magnitude = std::max(magnitude, std::abs(static_cast<double>(e[i])));
    if (ec.relu) e[i] = std::min(std::max(e[i], 0.0f), ec.relu_max);
  }
  forward(g, x.data(), w.data(), b.data(), fused.data(),
          {.scale = ec.scale ? scale.data() : nullptr,
           .residual = residual.data(),
           .relu = ec.relu,
           .relu_max = ec.relu_max});
  double error = 0.0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double d = std::abs(static_cast<double>(fused.data()[i]) - e[i]);
    ASSERT_FALSE(std::isnan(d)) << "element " << i;
    error = std::max(error, d);
  }
  EXPECT_LT(error / magnitude, 1e-5);
}

void expect_fused_epilogues(const ConvCase& c, ForwardFn forward) {
  const float inf = std::numeric_limits<float>::infinity();
  for (const EpilogueCase& ec : {EpilogueCase{false, true, inf}, EpilogueCase{true, true, 6.0f},
                                 EpilogueCase{true, false, 6.0f}})
    expect_fused_epilogue(c, forward, ec);
}

// Every forward path with every GEMM ISA the CPU runs (the direct kernels need AVX-512).
TEST(Conv2dKernels, FusedEpilogueMatchesSeparateOps) {
  const std::string before = kernels::cpu::gemm_isa();
  for (const std::string& isa : kernels::cpu::gemm_isas_supported()) {
    SCOPED_TRACE(isa);
    kernels::cpu::set_gemm_isa(isa);
    for (const ConvCase& c : conv_cases("kernel.epilogue_gemm"))
      expect_fused_epilogues(c, kernels::cpu::conv2d_forward_gemm);
    // whatever kernels::conv2d_forward picks: depthwise, and a channel multiplier of 2
    for (const ConvCase& c : conv_cases("kernel.epilogue_dispatch"))
      expect_fused_epilogues(c, kernels::conv2d_forward);
    // Winograd: one product per transform position over all tiles, and blocks of tiles
    for (const ConvCase& c : conv_cases("kernel.epilogue_winograd"))
      expect_fused_epilogues(c, kernels::cpu::conv2d_forward_winograd);
    if (isa != "avx512") continue;
    // the direct kernels: row segments, and whole-row tiles of 14- and 7-pixel images
    for (const ConvCase& c : conv_cases("kernel.epilogue_direct"))
      expect_fused_epilogues(c, kernels::cpu::conv2d_forward_direct);
  }
  kernels::cpu::set_gemm_isa(before);
}

// The direct kernels (AVX-512, C and O multiples of 16): every tile width (28, 14, 7, 4, 2, 1
// pixels, and 1, 2 or 4 blocks of output channels), strides 1 and 2, padding wider and
// narrower than the kernel's reach, dilation, 1x1 to 5x5 kernels.
TEST(Conv2dKernels, DirectMatchesReferenceOverOptionGrid) {
  if (kernels::cpu::gemm_isa() != "avx512") GTEST_SKIP() << "the direct kernels need AVX-512";
  // widths 1 to 57; C -> O 16 -> 16, 32 -> 64, 16 -> 32; 1x1 (padded or strided: 1x1 stride 1
  // unpadded is a GEMM), 3x3 and 5x5
  const std::vector<ConvCase> cases = conv_cases("kernel.direct_grid");
  uint64_t seed = 3000;
  int checked = 0;
  for (const ConvCase& c : cases) {
    const Conv2dGeometry g = geometry(c);
    if (g.out_h < 1 || g.out_w < 1 || !kernels::cpu::conv2d_direct_applies(g)) continue;
    seed += 4;
    check(c, Algo::direct, seed % 8 == 0, seed);
    ++checked;
  }
  EXPECT_GE(checked, 45);  // of 63 cases: the rest are 1x1 GEMMs or have no output
  // a ResNet-20 shape: whole 28-pixel rows, bias, batch 3
  seed = 7000;
  for (const nlohmann::json& j : testing::cases_for("conv2d", "kernel.direct_large")) {
    check(conv_case(j), Algo::direct, j.at("bias").get<bool>(), seed);
    seed += 4;
  }
}

TEST(Conv2dKernels, DepthwiseMatchesReferenceOverOptionGrid) {
  // The option grid of the GEMM test with channel multiplier 1 (the vectorized loop) and 3
  // (O = 3C).
  const auto cases = conv_cases("kernel.depthwise_grid");
  uint64_t seed = 2000;
  for (const ConvCase& c : cases) {
    seed += 4;  // alternates bias on and off
    check(c, Algo::depthwise, seed % 8 == 0, seed);
    check(c, Algo::gemm_small_chunks, seed % 8 == 0, seed + 2);  // the grouped GEMM path too
  }
}

// The forward's register blocks: 8 pixels x 16 channels where every tap is inside the image
// (images 9 to 30 pixels wide, so rows hold 0 to 3 whole blocks and a remainder), channel
// counts with and without a tail past the last whole 16 (16, 40, 144), strides 1 and 2,
// padding 0 to 2, dilation 2, 3x3 and 5x5 kernels.
TEST(Conv2dKernels, DepthwiseBlocksMatchReference) {
  uint64_t seed = 2600;
  for (const ConvCase& cc : conv_cases("kernel.depthwise_blocks")) {
    if (geometry(cc).out_h < 1 || geometry(cc).out_w < 1) continue;
    seed += 4;
    check(cc, Algo::depthwise, seed % 8 == 0, seed);
  }
}

// The strided backward data as stride_h x stride_w stride-1 forward convolutions: strides 2, 3
// and (2, 1), kernels from 1x1 (phases without taps) to 5x5, padding 0 to 3 and asymmetric,
// images whose size is not a multiple of the stride, channel counts that take the direct
// kernels (16, 32) and ones that take the GEMM (5, 7).
TEST(Conv2dKernels, StridedBackwardDataInPhasesMatchesReference) {
  uint64_t seed = 4000;
  int checked = 0;
  for (const ConvCase& cc : conv_cases("kernel.strided_phases")) {
    const Conv2dGeometry g = geometry(cc);
    if (g.out_h < 1 || g.out_w < 1) continue;
    SCOPED_TRACE(describe(cc));
    const Tensor w = testing::randn(cc.w, seed++);
    const Tensor dy = testing::randn({g.batch, g.out_h, g.out_w, g.out_c}, seed++);
    Tensor fast = nan_filled(cc.x), ref = Tensor::empty(cc.x);
    kernels::cpu::conv2d_backward_data_phases(g, dy.data(), w.data(), fast.data());
    kernels::ref::conv2d_backward_data(g, dy.data(), w.data(), ref.data());
    EXPECT_LE(testing::relative_error(fast, ref), tolerance(g.kernel_h * g.kernel_w * g.out_c));
    ++checked;
  }
  EXPECT_GE(checked, 80);
  // where the dispatcher takes them
  EXPECT_TRUE(kernels::cpu::conv2d_backward_data_phases_apply(
      kernels::make_conv2d_geometry({128, 28, 28, 16}, {3, 3, 16, 32}, 1, 2, 1, 1)));
  EXPECT_FALSE(kernels::cpu::conv2d_backward_data_phases_apply(
      kernels::make_conv2d_geometry({1, 224, 224, 3}, {7, 7, 3, 64}, 1, 2, 3, 1)));
  EXPECT_FALSE(kernels::cpu::conv2d_backward_data_phases_apply(
      kernels::make_conv2d_geometry({1, 56, 56, 256}, {1, 1, 256, 512}, 1, 2, 0, 1)));
}

TEST(Conv2dKernels, LargerShapesCrossGemmBlocksAndThreads) {
  // K = 3*3*64 = 576 spans three 256-deep GEMM slices, with 33 outputs and threaded GEMMs;
  // 1x1 stride 1 unpadded: the GEMM straight on the input (M = 2*13*11 = 286 rows), grouped
  // too; a strided 7x7 "stem" with asymmetric padding.
  const std::vector<ConvCase> cases = conv_cases("kernel.gemm_large");
  uint64_t seed = 5000;
  for (const ConvCase& c : cases) {
    for (Algo algo : {Algo::gemm, Algo::gemm_small_chunks}) {
      seed += 4;
      check(c, algo, true, seed);
    }
  }
  seed = 6000;
  for (const nlohmann::json& j : testing::cases_for("conv2d", "kernel.depthwise_large")) {
    check(conv_case(j), Algo::depthwise, j.at("bias").get<bool>(), seed);
    seed += 4;
  }
}

TEST(Conv2dKernels, BitIdenticalRunToRun) {
  const std::map<std::string, Algo> algos = {{"gemm", Algo::gemm},
                                             {"gemm_small_chunks", Algo::gemm_small_chunks},
                                             {"depthwise", Algo::depthwise},
                                             {"direct", Algo::direct}};
  for (const nlohmann::json& j : testing::cases_for("conv2d", "kernel.bit_identical")) {
    const ConvCase c = conv_case(j);
    const Algo algo = algos.at(j.at("algo").get<std::string>());
    if (algo == Algo::direct && kernels::cpu::gemm_isa() != "avx512") continue;
    SCOPED_TRACE(describe(c));
    const Conv2dGeometry g = geometry(c);
    const Tensor x = testing::randn(c.x, 7), w = testing::randn(c.w, 8),
                 b = testing::randn({g.out_c}, 9);
    const Tensor dy = testing::randn({g.batch, g.out_h, g.out_w, g.out_c}, 10);
    const Results first = run(g, algo, false, x, w, b, dy);
    const Results second = run(g, algo, false, x, w, b, dy);
    EXPECT_TRUE(testing::bit_identical(first.y, second.y));
    EXPECT_TRUE(testing::bit_identical(first.dx, second.dx));
    EXPECT_TRUE(testing::bit_identical(first.dw, second.dw));
  }
}

TEST(Conv2dKernels, GeometryFollowsTheOutputSizeFormula) {
  // OH = (H + top + bottom - d*(KH-1) - 1) / s + 1.
  const Conv2dGeometry g = kernels::make_conv2d_geometry({2, 11, 8, 3}, {3, 2, 3, 5}, 1, {2, 3},
                                                         Pad2d(1, 2, 0, 3), {2, 1});
  EXPECT_EQ(g.out_h, (11 + 1 + 2 - 2 * 2 - 1) / 2 + 1);  // 5
  EXPECT_EQ(g.out_w, (8 + 0 + 3 - 1 * 1 - 1) / 3 + 1);   // 4
  // A kernel wider than the padded input gives a non-positive size, not a rounded-up one.
  const Conv2dGeometry too_small =
      kernels::make_conv2d_geometry({1, 2, 2, 1}, {4, 1, 1, 1}, 1, 2, 0, 1);
  EXPECT_LT(too_small.out_h, 1);
}

}  // namespace
}  // namespace cnn
