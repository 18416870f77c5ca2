// The convolution's algorithm table (kernels/cpu/conv2d_algorithms.h), read as the dispatch
// reads it: every pass of every entry against the reference kernels on each shape where the
// entry's predicate takes it, with every instruction set the CPU runs; every pass of every
// shape has an algorithm; and the choices that the documentation states.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/conv2d.h"
#include "kernels/conv_case.h"
#include "kernels/cpu/conv2d_algorithms.h"
#include "kernels/cpu/isa.h"
#include "kernels/ref/conv2d_ref.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using kernels::Conv2dGeometry;
using kernels::Conv2dPass;
using kernels::cpu::Conv2dAlgorithm;
using kernels::cpu::Isa;

using testing::ConvCase;
using testing::describe;
using testing::geometry;

const char* pass_name(Conv2dPass pass) {
  return pass == Conv2dPass::forward         ? "forward"
         : pass == Conv2dPass::backward_data ? "backward data"
                                             : "backward weight";
}

// Shapes that between them reach every entry's every pass: depthwise (multipliers 1 and 2),
// Winograd's size (64 channels, 128 tiles), the direct kernels' (channels multiples of 16,
// strides 1 and 2), the strided backward data in phases, and the GEMM's leftovers (1x1,
// groups, dilation, a 7x7 stem, partial tiles).
const std::vector<ConvCase>& shapes() {
  static const std::vector<ConvCase> all = {
      {{2, 7, 6, 8}, {3, 3, 1, 8}, 8, 1, 1, 1},
      {{1, 7, 6, 8}, {3, 3, 1, 16}, 8, 2, 1, 1},
      {{8, 14, 14, 64}, {3, 3, 64, 64}, 1, 1, 1, 1},
      {{2, 9, 30, 32}, {3, 3, 32, 32}, 1, 1, 1, 1},
      {{1, 7, 7, 16}, {3, 3, 16, 64}, 1, 2, 1, 1},
      {{2, 9, 11, 16}, {3, 3, 16, 32}, 1, 2, 1, 1},
      {{2, 9, 11, 16}, {2, 2, 16, 16}, 1, Size2(2, 1), Pad2d(0, 2, 1, 0), 1},
      {{2, 7, 6, 5}, {3, 3, 5, 17}, 1, 1, 1, 1},
      {{1, 5, 6, 16}, {1, 1, 16, 40}, 1, 1, 0, 1},
      {{2, 9, 7, 12}, {3, 3, 4, 21}, 3, 2, 1, 1},
      {{2, 7, 6, 6}, {3, 2, 6, 9}, 1, 1, Pad2d(1), Size2(2, 1)},
      {{1, 19, 23, 3}, {7, 7, 3, 16}, 1, 2, Pad2d(3, 2, 3, 2), 1},
  };
  return all;
}

Tensor nan_filled(const Shape& shape) {
  return Tensor::full(shape, std::numeric_limits<float>::quiet_NaN());
}

// The entry's pass and the reference on one shape; the relative error between them.
double pass_error(const Conv2dAlgorithm& a, Conv2dPass pass, const Conv2dGeometry& g,
                  uint64_t seed) {
  const Shape x_shape{g.batch, g.in_h, g.in_w, g.in_c};
  const Shape w_shape{g.kernel_h, g.kernel_w, g.group_in(), g.out_c};
  const Shape y_shape{g.batch, g.out_h, g.out_w, g.out_c};
  const Tensor x = testing::randn(x_shape, seed), w = testing::randn(w_shape, seed + 1);
  const Tensor bias = testing::randn({g.out_c}, seed + 2), dy = testing::randn(y_shape, seed + 3);
  switch (pass) {
    case Conv2dPass::forward: {
      Tensor fast = nan_filled(y_shape), ref = Tensor::empty(y_shape);
      a.forward.run(g, x.data(), w.data(), bias.data(), fast.data(), {});
      kernels::ref::conv2d_forward(g, x.data(), w.data(), bias.data(), ref.data());
      return testing::relative_error(fast, ref);
    }
    case Conv2dPass::backward_data: {
      Tensor fast = nan_filled(x_shape), ref = Tensor::empty(x_shape);
      a.backward_data.run(g, dy.data(), w.data(), fast.data());
      kernels::ref::conv2d_backward_data(g, dy.data(), w.data(), ref.data());
      return testing::relative_error(fast, ref);
    }
    case Conv2dPass::backward_weight:
      break;
  }
  Tensor fast = nan_filled(w_shape), ref = Tensor::empty(w_shape);
  a.backward_weight.run(g, x.data(), dy.data(), fast.data());
  kernels::ref::conv2d_backward_weight(g, x.data(), dy.data(), ref.data());
  return testing::relative_error(fast, ref);
}

constexpr Conv2dPass kPasses[] = {Conv2dPass::forward, Conv2dPass::backward_data,
                                  Conv2dPass::backward_weight};

TEST(Conv2dAlgorithms, EveryEntryMatchesReferenceWhereItApplies) {
  const Isa before = kernels::cpu::kernel_isa();
  std::map<std::string, int> checked;  // "entry/pass" -> shapes checked
  uint64_t seed = 9000;
  for (Isa isa : kernels::cpu::supported_isas()) {
    SCOPED_TRACE(kernels::cpu::isa_name(isa));
    kernels::cpu::set_kernel_isa(isa);
    for (const Conv2dAlgorithm& a : kernels::cpu::conv2d_algorithms())
      for (Conv2dPass pass : kPasses) {
        // a pass is absent exactly when both its predicate and its function are null
        ASSERT_EQ(a.has(pass), pass == Conv2dPass::forward ? a.forward.applies != nullptr
                               : pass == Conv2dPass::backward_data
                                   ? a.backward_data.applies != nullptr
                                   : a.backward_weight.applies != nullptr)
            << a.name;
        if (!a.has(pass)) continue;
        for (const ConvCase& s : shapes()) {
          const Conv2dGeometry g = geometry(s);
          if (!a.applies(pass, g)) continue;
          SCOPED_TRACE(std::string(a.name) + " " + pass_name(pass) + ": " + describe(s));
          // Winograd rounds more than a direct sum (see conv2d_winograd_test.cpp); the others
          // sum in float in another order than the double-precision reference.
          const double terms = pass == Conv2dPass::forward ? g.kernel_h * g.kernel_w * g.group_in()
                               : pass == Conv2dPass::backward_data
                                   ? g.kernel_h * g.kernel_w * g.group_out()
                                   : g.batch * g.out_h * g.out_w;
          const double tolerance = std::max(2e-6 * std::sqrt(terms + 1.0),
                                            std::string(a.name) == "winograd" ? 1e-5 : 0.0);
          EXPECT_LE(pass_error(a, pass, g, seed += 4), tolerance);
          ++checked[std::string(a.name) + "/" + pass_name(pass)];
        }
      }
  }
  kernels::cpu::set_kernel_isa(before);
  for (const Conv2dAlgorithm& a : kernels::cpu::conv2d_algorithms())
    for (Conv2dPass pass : kPasses) {
      if (!a.has(pass)) continue;
      // the direct kernels need AVX-512
      if (std::string(a.name) == "direct" && !kernels::cpu::cpu_supports(Isa::avx512)) continue;
      EXPECT_GT(checked[std::string(a.name) + "/" + pass_name(pass)], 0)
          << a.name << " " << pass_name(pass) << " was checked on no shape";
    }
}

// The last entry takes every geometry, so no pass is left to the reference kernels; the
// dispatch's choice is the first entry that applies.
TEST(Conv2dAlgorithms, EveryPassHasAnAlgorithmAndTheFirstThatAppliesRunsIt) {
  const auto table = kernels::cpu::conv2d_algorithms();
  ASSERT_FALSE(table.empty());
  for (const ConvCase& s : shapes()) {
    const Conv2dGeometry g = geometry(s);
    for (Conv2dPass pass : kPasses) {
      SCOPED_TRACE(describe(s) + " " + pass_name(pass));
      EXPECT_TRUE(table.back().applies(pass, g));
      const Conv2dAlgorithm* chosen = kernels::cpu::conv2d_algorithm_for(pass, g);
      ASSERT_NE(chosen, nullptr);
      for (const Conv2dAlgorithm& a : table) {
        if (&a == chosen) break;
        EXPECT_FALSE(a.applies(pass, g)) << a.name << " comes first";
      }
      EXPECT_EQ(kernels::conv2d_algorithm(g, pass), chosen->name);
    }
  }
}

// The choices docs/ARCHITECTURE.md states, pass by pass.
TEST(Conv2dAlgorithms, ChoicesByShape) {
  const bool avx512 = kernels::cpu::kernel_isa() == Isa::avx512;
  struct Expected {
    ConvCase s;
    const char *forward, *backward_data, *backward_weight;
  };
  for (const Expected& e : std::vector<Expected>{
           {{{2, 7, 6, 8}, {3, 3, 1, 8}, 8, 1, 1, 1}, "depthwise", "depthwise", "depthwise"},
           // 64 channels and 128 tiles: Winograd both ways; no Winograd weight gradient
           {{{8, 14, 14, 64}, {3, 3, 64, 64}, 1, 1, 1, 1},
            "winograd",
            "winograd",
            avx512 ? "direct" : "gemm"},
           {{{2, 9, 30, 32}, {3, 3, 32, 32}, 1, 1, 1, 1},
            avx512 ? "direct" : "gemm",
            avx512 ? "direct" : "gemm",
            avx512 ? "direct" : "gemm"},
           // strided, 16 channels in: the backward data in phases
           {{{2, 9, 11, 16}, {3, 3, 16, 32}, 1, 2, 1, 1},
            avx512 ? "direct" : "gemm",
            "phases",
            avx512 ? "direct" : "gemm"},
           // a 1x1 stride-1 convolution is a plain GEMM; so is a 3-channel strided stem
           {{{1, 5, 6, 16}, {1, 1, 16, 40}, 1, 1, 0, 1}, "gemm", "gemm", "gemm"},
           {{{1, 19, 23, 3}, {7, 7, 3, 16}, 1, 2, Pad2d(3, 2, 3, 2), 1}, "gemm", "gemm", "gemm"},
       }) {
    SCOPED_TRACE(describe(e.s));
    const Conv2dGeometry g = geometry(e.s);
    EXPECT_EQ(kernels::conv2d_algorithm(g, Conv2dPass::forward), e.forward);
    EXPECT_EQ(kernels::conv2d_algorithm(g, Conv2dPass::backward_data), e.backward_data);
    EXPECT_EQ(kernels::conv2d_algorithm(g, Conv2dPass::backward_weight), e.backward_weight);
  }
}

}  // namespace
}  // namespace cnn
