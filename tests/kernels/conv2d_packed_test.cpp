// The convolution's forward with the weight packed once (kernels/cpu/conv2d_packed_algorithms.h,
// kernels/conv2d_prepared.h): every entry against the reference kernels, epilogue included, on
// shapes that reach each entry's paths (Winograd's blocks and its all-tiles-at-once path, the
// direct kernel's row tiles, its weight-major order and its few-channel kernel, the GEMM with
// packed B split by rows and by columns, groups), with every instruction set the CPU runs; and
// the prepared convolution's choice: measured or default, kept once made, refused for a weight
// of another shape.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "cnn/error.h"
#include "kernels/conv2d_prepared.h"
#include "kernels/conv_case.h"
#include "kernels/cpu/conv2d_packed_algorithms.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/isa.h"
#include "kernels/ref/conv2d_ref.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using kernels::Conv2dEpilogue;
using kernels::Conv2dGeometry;
using kernels::cpu::Conv2dPackedAlgorithm;
using kernels::cpu::Isa;
using testing::ConvCase;
using testing::describe;
using testing::geometry;

const std::vector<ConvCase>& shapes() {
  static const std::vector<ConvCase> all = {
      {{2, 7, 6, 8}, {3, 3, 1, 8}, 8, 1, 1, 1},        // depthwise
      {{1, 14, 14, 64}, {3, 3, 64, 64}, 1, 1, 1, 1},   // Winograd, 16 tiles
      {{4, 28, 28, 64}, {3, 3, 64, 64}, 1, 1, 1, 1},   // Winograd blocks
      {{1, 7, 7, 256}, {3, 3, 256, 512}, 1, 1, 1, 1},  // weight-major rows tiles
      {{1, 9, 30, 32}, {3, 3, 32, 32}, 1, 2, 1, 1},    // direct, stride 2
      {{1, 14, 14, 32}, {1, 1, 32, 64}, 1, 1, 0, 1},   // pointwise
      {{1, 23, 21, 3}, {7, 7, 3, 64}, 1, 2, 3, 1},     // a first layer
      {{2, 9, 10, 1}, {3, 3, 1, 16}, 1, 1, 1, 1},      // one channel
      {{1, 11, 9, 4}, {5, 5, 4, 32}, 1, Size2(1, 2), Pad2d(2, 1, 0, 3), 1},
      {{2, 7, 6, 5}, {3, 3, 5, 17}, 1, 1, 1, 1},                  // GEMM leftovers
      {{2, 9, 7, 12}, {3, 3, 4, 21}, 3, 2, 1, 1},                 // groups
      {{1, 40, 40, 16}, {3, 3, 16, 96}, 1, 1, 1, 1},              // GEMM split by rows
      {{1, 3, 3, 16}, {1, 1, 16, 200}, 1, 1, 0, 1},               // GEMM split by columns
      {{2, 7, 6, 6}, {3, 2, 6, 9}, 1, 1, Pad2d(1), Size2(2, 1)},  // dilation
  };
  return all;
}

// The entry's forward with bias, residual and a clamped ReLU against the reference followed by the
// same epilogue.
double packed_error(const Conv2dPackedAlgorithm& a, const Conv2dGeometry& g, uint64_t seed) {
  const Shape x_shape{g.batch, g.in_h, g.in_w, g.in_c};
  const Shape w_shape{g.kernel_h, g.kernel_w, g.group_in(), g.out_c};
  const Shape y_shape{g.batch, g.out_h, g.out_w, g.out_c};
  const Tensor x = testing::randn(x_shape, seed), w = testing::randn(w_shape, seed + 1);
  const Tensor bias = testing::randn({g.out_c}, seed + 2);
  const Tensor residual = testing::randn(y_shape, seed + 3);
  Tensor packed = Tensor::full({a.packed_floats(g)}, std::numeric_limits<float>::quiet_NaN());
  a.pack(g, w.data(), packed.data());
  Tensor fast = Tensor::full(y_shape, std::numeric_limits<float>::quiet_NaN());
  // a clamp at 20 cuts the largest sums (their standard deviation is sqrt(KH*KW*C/G), 3 to 48
  // here) and keeps the relative error a measure of the sums' rounding
  const Conv2dEpilogue e{.residual = residual.data(), .relu = true, .relu_max = 20.0f};
  // the scratch starts as NaN: nothing may be read from it before it is written
  Tensor scratch = Tensor::full({std::max<int64_t>(1, a.scratch_floats(g))},
                                std::numeric_limits<float>::quiet_NaN());
  a.forward(g, x.data(), packed.data(), bias.data(), fast.data(), e, scratch.data());
  Tensor ref = Tensor::empty(y_shape);
  kernels::ref::conv2d_forward(g, x.data(), w.data(), bias.data(), ref.data());
  float* r = ref.data();
  for (int64_t i = 0; i < ref.numel(); ++i)
    r[i] = std::min(std::max(r[i] + residual.data()[i], 0.0f), 20.0f);
  return testing::relative_error(fast, ref);
}

TEST(Conv2dPacked, EveryEntryMatchesReferenceWhereItApplies) {
  const Isa before = kernels::cpu::kernel_isa();
  std::map<std::string, int> checked;
  uint64_t seed = 7100;
  for (Isa isa : kernels::cpu::supported_isas()) {
    SCOPED_TRACE(kernels::cpu::isa_name(isa));
    kernels::cpu::set_kernel_isa(isa);
    for (const Conv2dPackedAlgorithm& a : kernels::cpu::conv2d_packed_algorithms())
      for (const ConvCase& s : shapes()) {
        const Conv2dGeometry g = geometry(s);
        if (!a.applies(g)) continue;
        SCOPED_TRACE(std::string(a.name) + ": " + describe(s));
        const double terms = g.kernel_h * g.kernel_w * g.group_in();
        const double tolerance =
            std::max(2e-6 * std::sqrt(terms + 1.0),
                     std::string(a.name).rfind("winograd", 0) == 0 ? 1e-5 : 0.0);
        EXPECT_LE(packed_error(a, g, seed += 4), tolerance);
        ++checked[a.name];
      }
  }
  kernels::cpu::set_kernel_isa(before);
  for (const Conv2dPackedAlgorithm& a : kernels::cpu::conv2d_packed_algorithms()) {
    if (std::string(a.name) == "direct" && !kernels::cpu::cpu_supports(Isa::avx512)) continue;
    EXPECT_GT(checked[a.name], 0) << a.name << " was checked on no shape";
  }
}

TEST(Conv2dPacked, GemmWithPackedBMatchesThePlainGemm) {
  for (const auto& [m, n, k] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 10, 7}, {49, 512, 300}, {200, 64, 129}, {5, 16, 3}, {300, 33, 64}}) {
    SCOPED_TRACE(std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k));
    const Tensor a = testing::randn({m, k}, 1), b = testing::randn({k, n}, 2);
    Tensor packed = Tensor::empty({kernels::cpu::gemm_packed_b_floats(k, n)});
    kernels::cpu::gemm_pack_b({b.data(), n, false}, k, n, packed.data());
    Tensor fast = Tensor::empty({m, n}), plain = Tensor::empty({m, n});
    kernels::cpu::gemm_f32_packed_b({a.data(), k, false, {}}, packed.data(), m, n, k, fast.data(),
                                    n);
    kernels::cpu::gemm_f32(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, plain.data(), n);
    EXPECT_LE(testing::relative_error(fast, plain), 1e-6);
  }
}

TEST(Conv2dPrepared, ChoosesOnceRunsTheChoiceAndRefusesAnotherWeight) {
  const ConvCase s{{1, 14, 14, 64}, {3, 3, 64, 64}, 1, 1, 1, 1};
  const Conv2dGeometry g = geometry(s);
  const Tensor x = testing::randn(s.x, 3), w = testing::randn(s.w, 4);
  const Tensor bias = testing::randn({g.out_c}, 5);
  kernels::PreparedConv2d conv(g, w.data(), bias.data());
  const std::string chosen = conv.prepare(g, /*measure=*/true, /*with_residual=*/false);
  EXPECT_NE(kernels::cpu::conv2d_packed_algorithm(chosen), nullptr) << chosen;
  EXPECT_EQ(kernels::conv2d_prepared_choice(g, false), chosen);
  // asked again, measuring or not, the choice stays
  EXPECT_EQ(conv.prepare(g, /*measure=*/false, false), chosen);
  kernels::PreparedConv2d again(g, w.data(), bias.data());
  EXPECT_EQ(again.prepare(g, /*measure=*/true, false), chosen);
  EXPECT_GT(conv.packed_bytes(), 0);

  Tensor y = Tensor::empty({g.batch, g.out_h, g.out_w, g.out_c}), ref = Tensor::empty(y.shape());
  Tensor scratch = Tensor::empty({std::max<int64_t>(1, conv.scratch_floats(g, false))});
  conv.forward(g, x.data(), y.data(), {}, scratch.data());
  kernels::ref::conv2d_forward(g, x.data(), w.data(), bias.data(), ref.data());
  EXPECT_LE(testing::relative_error(y, ref), 1e-5);

  // another input size of the same weight is prepared on its own
  const ConvCase bigger{{2, 20, 18, 64}, {3, 3, 64, 64}, 1, 1, 1, 1};
  EXPECT_THROW(conv.forward(geometry(bigger), x.data(), y.data(), {}, scratch.data()), Error);
  const ConvCase other{{1, 14, 14, 32}, {3, 3, 32, 64}, 1, 1, 1, 1};
  EXPECT_THROW(conv.prepare(geometry(other), false, false), Error);
}

}  // namespace
}  // namespace cnn
