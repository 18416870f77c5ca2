// conv2d_bn_act, the inference fusion of conv2d, batch_norm (evaluation), add and relu/relu6,
// against those ops run one after another, on every convolution algorithm; and its errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::error_of;
using testing::randn;

struct FusedCase {
  Shape x, w;  // [N, H, W, C], [KH, KW, C/groups, O]
  Conv2dOptions options;
  bool bias, residual;
  ConvActivation act;
};

// Running statistics and affine parameters far from the identity (var in [0.25, 2.25]).
ConvBatchNorm random_batch_norm(int64_t channels, uint64_t seed) {
  const Tensor s = randn({channels}, seed + 1);
  return {.running_mean = randn({channels}, seed),
          .running_var = add(mul(s, s), Tensor::full({channels}, 0.25f)),
          .gamma = randn({channels}, seed + 2),
          .beta = randn({channels}, seed + 3),
          .eps = 1e-3f};
}

Tensor unfused(const FusedCase& c, const Tensor& x, const Tensor& w, const Tensor& b,
               const ConvBatchNorm& bn, const Tensor& residual) {
  Tensor y = batch_norm(conv2d(x, w, b, c.options), bn.running_mean, bn.running_var, bn.gamma,
                        bn.beta, {.training = false, .eps = bn.eps});
  if (residual.defined()) y = add(y, residual);
  if (c.act == ConvActivation::relu) return relu(y);
  return c.act == ConvActivation::relu6 ? relu6(y) : y;
}

// Fused and separate results differ by rounding only: the batch norm meets the convolution's
// sum before it is rounded to float, and s and t are rounded once. 1e-5 of the largest output
// (testing::relative_error) covers a few float roundings of terms of that size.
TEST(Conv2dBnAct, EqualsTheSeparateOpsOnEveryAlgorithm) {
  using A = ConvActivation;
  const std::vector<FusedCase> cases = {
      {{2, 9, 7, 12}, {3, 3, 12, 20}, {.padding = 1}, true, true, A::relu},  // gemm
      {{2, 9, 7, 12},
       {3, 3, 4, 21},
       {.stride = 2, .padding = 1, .groups = 3},
       false,
       false,
       A::relu6},                                                 // grouped
      {{1, 5, 6, 16}, {1, 1, 16, 40}, {}, false, true, A::none},  // pointwise
      {{2, 8, 7, 24}, {3, 3, 1, 24}, {.padding = 1, .groups = 24}, false, false, A::relu6},
      {{2, 8, 7, 24}, {3, 3, 1, 24}, {.padding = 1, .groups = 24}, true, true, A::relu},
      {{2, 9, 30, 32}, {3, 3, 32, 32}, {.padding = 1}, false, true, A::relu},  // direct
      {{1, 7, 7, 32}, {3, 3, 32, 64}, {.stride = 2, .padding = 1}, true, false, A::relu6},
  };
  autograd::NoGradGuard no_grad;
  uint64_t seed = 10;
  for (const FusedCase& c : cases) {
    SCOPED_TRACE("x " + to_string(c.x) + " w " + to_string(c.w));
    const int64_t o = c.w[3];
    const Tensor x = randn(c.x, seed++), w = randn(c.w, seed++);
    const Tensor b = c.bias ? randn({o}, seed++) : Tensor();
    const ConvBatchNorm bn = random_batch_norm(o, seed);
    seed += 4;
    const Tensor expected = unfused(c, x, w, b, bn, Tensor());
    const Tensor residual = c.residual ? randn(expected.shape(), seed++) : Tensor();
    const Tensor reference = unfused(c, x, w, b, bn, residual);
    const Tensor fused = conv2d_bn_act(x, w, b, bn, residual, c.act, c.options);
    EXPECT_LT(testing::relative_error(fused, reference), 1e-5);
  }
}

TEST(Conv2dBnAct, WithoutAffineIsPlainNormalization) {
  const Tensor x = randn({1, 4, 4, 3}, 1), w = randn({3, 3, 3, 5}, 2);
  ConvBatchNorm bn = random_batch_norm(5, 3);
  bn.gamma = Tensor();
  bn.beta = Tensor();
  const Tensor expected = batch_norm(conv2d(x, w), bn.running_mean, bn.running_var, Tensor(),
                                     Tensor(), {.training = false, .eps = bn.eps});
  EXPECT_LT(testing::relative_error(
                conv2d_bn_act(x, w, Tensor(), bn, Tensor(), ConvActivation::none), expected),
            1e-5);
}

TEST(Conv2dBnAct, ErrorsNameTheArgument) {
  const Tensor x = Tensor::zeros({2, 5, 5, 4}), w = Tensor::zeros({3, 3, 4, 6});
  const ConvBatchNorm bn = random_batch_norm(6, 1);
  auto error = [&](const ConvBatchNorm& b, const Tensor& residual, const Tensor& xs) {
    return error_of([&] { conv2d_bn_act(xs, w, Tensor(), b, residual, ConvActivation::relu); });
  };
  ConvBatchNorm short_mean = bn;
  short_mean.running_mean = Tensor::zeros({5});
  EXPECT_EQ(error(short_mean, Tensor(), x),
            "conv2d_bn_act: argument 'running_mean' must be a float32 tensor of shape [6] (one "
            "per output channel), got shape [5]");
  ConvBatchNorm no_var = bn;
  no_var.running_var = Tensor();
  EXPECT_EQ(error(no_var, Tensor(), x), "conv2d_bn_act: argument 'running_var' is required");
  EXPECT_EQ(error(bn, Tensor::zeros({2, 5, 5, 6}), x),
            "conv2d_bn_act: argument 'residual' must be float32 of the output's shape "
            "[2, 3, 3, 6], got [2, 5, 5, 6]");
  // conv2d's own checks come first
  EXPECT_EQ(error(bn, Tensor(), Tensor::zeros({5, 5, 4})),
            "conv2d: argument 'x' must have rank 4 [batch, rows, cols, channels], got shape "
            "[5, 5, 4]");
}

// No backward is recorded, so an input that requires grad is an error while grad mode is on,
// and fine under a NoGradGuard.
TEST(Conv2dBnAct, RefusesToBuildAGraph) {
  Tensor x = randn({1, 4, 4, 3}, 1);
  Tensor w = randn({3, 3, 3, 5}, 2);
  w.requires_grad_();
  const ConvBatchNorm bn = random_batch_norm(5, 3);
  EXPECT_EQ(error_of([&] { conv2d_bn_act(x, w, Tensor(), bn, Tensor(), ConvActivation::relu); }),
            "conv2d_bn_act: inference only (it records no backward), but grad mode is on and an "
            "argument requires grad; use conv2d and batch_norm, or a NoGradGuard");
  ConvBatchNorm trained = bn;
  trained.gamma = randn({5}, 4);
  trained.gamma.requires_grad_();
  EXPECT_FALSE(error_of([&] {
                 conv2d_bn_act(x, w.detach(), Tensor(), trained, Tensor(), ConvActivation::relu);
               }).empty());
  autograd::NoGradGuard no_grad;
  const Tensor y = conv2d_bn_act(x, w, Tensor(), trained, Tensor(), ConvActivation::relu);
  EXPECT_FALSE(y.requires_grad());
}

}  // namespace
}  // namespace cnn
