// conv2d_act, the inference fusion of conv2d (with its bias) and relu/relu6, against those ops
// run one after the other, on every convolution algorithm the dispatcher picks; and its errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "kernels/conv2d.h"
#include "kernels/cpu/gemm.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::error_of;
using testing::randn;

struct ActCase {
  Shape x, w;  // [N, H, W, C], [KH, KW, C/groups, O]
  Conv2dOptions options;
  bool bias;
  ConvActivation act;
};

Tensor separate(const Tensor& x, const Tensor& w, const Tensor& b, const ActCase& c) {
  const Tensor y = conv2d(x, w, b, c.options);
  if (c.act == ConvActivation::relu) return relu(y);
  return c.act == ConvActivation::relu6 ? relu6(y) : y;
}

// The clamp meets the sum every kernel rounds for conv2d, bias included, so the results are
// the same values, not merely close. Each case names the algorithm it is there for, and the
// test checks that the dispatcher does pick it.
TEST(Conv2dAct, EqualsTheSeparateOpsOnEveryAlgorithm) {
  using A = ConvActivation;
  const std::vector<ActCase> cases = {
      // gemm: plain, grouped and strided, pointwise
      {{2, 9, 7, 12}, {3, 3, 12, 20}, {.padding = 1}, true, A::relu},
      {{2, 9, 7, 12}, {3, 3, 4, 21}, {.stride = 2, .padding = 1, .groups = 3}, true, A::relu6},
      {{1, 5, 6, 16}, {1, 1, 16, 40}, {}, true, A::relu},
      {{2, 9, 7, 12}, {3, 3, 12, 20}, {.padding = 1}, true, A::none},
      // depthwise, with and without bias
      {{2, 8, 7, 24}, {3, 3, 1, 24}, {.padding = 1, .groups = 24}, true, A::relu},
      {{2, 8, 7, 24}, {3, 3, 1, 24}, {.padding = 1, .groups = 24}, false, A::relu6},
      // direct (with AVX-512; gemm elsewhere)
      {{2, 9, 30, 32}, {3, 3, 32, 32}, {.padding = 1}, true, A::relu},
      {{1, 7, 7, 32}, {3, 3, 32, 64}, {.stride = 2, .padding = 1}, false, A::relu6},
      // winograd: 3x3 stride 1, 64 channels, 128 tiles
      {{2, 32, 32, 64}, {3, 3, 64, 64}, {.padding = 1}, true, A::relu},
  };
  autograd::NoGradGuard no_grad;
  std::set<std::string> algorithms;
  uint64_t seed = 10;
  for (const ActCase& c : cases) {
    const std::string algorithm = kernels::conv2d_algorithm(kernels::make_conv2d_geometry(
        c.x, c.w, c.options.groups, c.options.stride, c.options.padding, c.options.dilation));
    algorithms.insert(algorithm);
    SCOPED_TRACE("x " + to_string(c.x) + " w " + to_string(c.w) + " (" + algorithm + ")");
    const Tensor x = randn(c.x, seed++), w = randn(c.w, seed++);
    const Tensor b = c.bias ? randn({c.w[3]}, seed++) : Tensor();
    const Tensor fused = conv2d_act(x, w, b, c.act, c.options);
    EXPECT_TRUE(testing::bit_identical(fused, separate(x, w, b, c)));
    // the clamp had values to change
    if (c.act != A::none) {
      EXPECT_FALSE(testing::bit_identical(fused, conv2d(x, w, b, c.options)));
    }
    // a NaN in the input: the outputs it reaches are NaN both ways (relu keeps NaN, as
    // PyTorch's does), the others equal to the last bit
    std::vector<float> with_nan = x.to_vector();
    with_nan[0] = std::numeric_limits<float>::quiet_NaN();
    const Tensor xn = Tensor::from_data(c.x, with_nan);
    const std::vector<float> got = conv2d_act(xn, w, b, c.act, c.options).to_vector();
    const std::vector<float> want = separate(xn, w, b, c).to_vector();
    int nans = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(std::isnan(got[i]), std::isnan(want[i])) << "element " << i;
      if (std::isnan(got[i])) {
        ++nans;
        continue;
      }
      ASSERT_EQ(got[i], want[i]) << "element " << i;
      ASSERT_EQ(std::signbit(got[i]), std::signbit(want[i])) << "element " << i;
    }
    EXPECT_GT(nans, 0);
  }
  std::set<std::string> expected = {"gemm", "depthwise", "winograd"};
  if (kernels::cpu::gemm_isa() == "avx512") expected.insert("direct");
  EXPECT_EQ(algorithms, expected);
}

TEST(Conv2dAct, ErrorsAreConv2dsAndRefusesToBuildAGraph) {
  const Tensor x = randn({1, 4, 4, 3}, 1);
  Tensor w = randn({3, 3, 3, 5}, 2);
  EXPECT_EQ(error_of([&] { conv2d_act(x, w, randn({4}, 3), ConvActivation::relu); }),
            "conv2d: argument 'bias' must have shape [5] (one per output channel of weight "
            "[3, 3, 3, 5]), got shape [4]");
  w.requires_grad_();
  EXPECT_EQ(error_of([&] { conv2d_act(x, w, Tensor(), ConvActivation::relu); }),
            "conv2d_act: inference only (it records no backward), but grad mode is on and an "
            "argument requires grad; use conv2d, add and relu, or a NoGradGuard");
  autograd::NoGradGuard no_grad;
  const Tensor y = conv2d_act(x, w, Tensor(), ConvActivation::relu);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.shape(), (Shape{1, 2, 2, 5}));
}

}  // namespace
}  // namespace cnn
