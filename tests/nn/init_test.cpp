// Initializers: fans from our layouts, gains, and the bounds and first two moments of every
// random initializer and of each layer's default initialization, against the formulas.
//
// Samples have 4608 to 38400 elements, so the standard deviation is estimated to well under
// 1% (relative standard error about 0.45 / sqrt(n) for a uniform, 0.71 / sqrt(n) for a
// normal); the tolerances below are a few percent, and every wrong formula tried (a fan_out
// for a fan_in, groups ignored, OIHW fans read off an HWIO shape, a missing gain) is off by
// 15% or more.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "cnn/nn/layers.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using cnn::testing::error_of;

using testing::bit_identical;

struct Moments {
  double mean = 0.0;
  double stddev = 0.0;
  double max_abs = 0.0;
  int64_t n = 0;
};

Moments moments(const Tensor& t) {
  const auto v = t.to_vector();
  Moments m;
  m.n = static_cast<int64_t>(v.size());
  for (float x : v) m.mean += x;
  m.mean /= static_cast<double>(m.n);
  double ss = 0.0;
  for (float x : v) {
    ss += (x - m.mean) * (x - m.mean);
    m.max_abs = std::max(m.max_abs, std::abs(static_cast<double>(x)));
  }
  m.stddev = std::sqrt(ss / static_cast<double>(m.n - 1));
  return m;
}

// Fraction of |x| below `s`: 0.683 for a centred normal of std s, 0.577 for a uniform of std s.
double fraction_within(const Tensor& t, double s) {
  int64_t inside = 0;
  for (float x : t.to_vector()) inside += std::abs(x) < s ? 1 : 0;
  return static_cast<double>(inside) / static_cast<double>(t.numel());
}

constexpr double kStdTolerance = 0.03;  // relative; see the header comment

// Uniform on (-bound, bound): every sample inside, the extremes reached, std = bound / sqrt(3),
// mean 0 within 5 standard errors.
void expect_uniform(const Tensor& t, double bound) {
  const Moments m = moments(t);
  EXPECT_LE(m.max_abs, bound);
  EXPECT_GT(m.max_abs, 0.98 * bound);
  EXPECT_NEAR(m.stddev, bound / std::sqrt(3.0), kStdTolerance * bound / std::sqrt(3.0));
  EXPECT_LT(std::abs(m.mean), 5.0 * m.stddev / std::sqrt(static_cast<double>(m.n)));
}

void expect_normal(const Tensor& t, double stddev) {
  const Moments m = moments(t);
  EXPECT_NEAR(m.stddev, stddev, kStdTolerance * stddev);
  EXPECT_LT(std::abs(m.mean), 5.0 * stddev / std::sqrt(static_cast<double>(m.n)));
  EXPECT_NEAR(fraction_within(t, stddev), 0.6827, 0.015);  // a normal, not a uniform (0.577)
}

// A convolution weight [KH, KW, C, O] = [3, 3, 16, 128]: fan_in 144, fan_out 1152, so a
// swapped fan changes the scale by sqrt(8), and OIHW fans read off this shape (3*16*128 and
// 3*16*3) are far off too.
Tensor hwio_weight() {
  return Tensor::empty({3, 3, 16, 128});
}
constexpr double kFanIn = 144.0, kFanOut = 1152.0;

TEST(Init, FansFollowPyTorchForOurLayouts) {
  const nn::Fans linear = nn::compute_fans(Tensor::empty({10, 20}));  // [out, in]
  EXPECT_EQ(linear.fan_in, 20);
  EXPECT_EQ(linear.fan_out, 10);
  const nn::Fans conv = nn::compute_fans(hwio_weight());
  EXPECT_EQ(conv.fan_in, 144);
  EXPECT_EQ(conv.fan_out, 1152);
  // Grouped: Conv2d(32, 64, 3, groups=4) has weight [3, 3, 8, 64]; PyTorch's fan_out is
  // O * KH * KW (not divided by groups).
  Generator gen(1);
  const nn::Fans grouped =
      nn::compute_fans(nn::Conv2d(32, 64, {.kernel = 3, .groups = 4}, gen).weight());
  EXPECT_EQ(grouped.fan_in, 72);
  EXPECT_EQ(grouped.fan_out, 576);
  EXPECT_EQ(error_of([] {
              nn::compute_fans(Tensor::empty({2, 3, 4}));
            }),
            "nn::compute_fans: expected a linear weight [out, in] or a convolution weight "
            "[KH, KW, C/groups, O], got shape [2, 3, 4]");
}

TEST(Init, GainsMatchPyTorch) {
  using nn::Nonlinearity;
  EXPECT_FLOAT_EQ(nn::calculate_gain(Nonlinearity::linear), 1.0f);
  EXPECT_FLOAT_EQ(nn::calculate_gain(Nonlinearity::conv), 1.0f);
  EXPECT_FLOAT_EQ(nn::calculate_gain(Nonlinearity::sigmoid), 1.0f);
  EXPECT_FLOAT_EQ(nn::calculate_gain(Nonlinearity::tanh), 5.0f / 3.0f);
  EXPECT_FLOAT_EQ(nn::calculate_gain(Nonlinearity::relu), std::sqrt(2.0f));
  EXPECT_FLOAT_EQ(nn::calculate_gain(Nonlinearity::leaky_relu), std::sqrt(2.0f));
  EXPECT_FLOAT_EQ(nn::calculate_gain(Nonlinearity::leaky_relu, 0.2f), std::sqrt(2.0f / 1.04f));
  EXPECT_FLOAT_EQ(nn::calculate_gain(Nonlinearity::selu), 0.75f);
}

TEST(Init, XavierLectureIsUniformOnSqrt3OverFanIn) {
  Generator gen(2);
  const Tensor w = nn::xavier_uniform_lecture(hwio_weight(), gen);
  expect_uniform(w, std::sqrt(3.0 / kFanIn));
  // The lecture's reason: y_j = sum_i x_i w_ij has unit variance, i.e. fan_in * var(w) = 1.
  const Moments m = moments(w);
  EXPECT_NEAR(kFanIn * m.stddev * m.stddev, 1.0, 2 * kStdTolerance);
}

TEST(Init, GlorotUsesBothFansAndTheGain) {
  Generator gen(3);
  // [out, in] = [64, 256]: fan_in 256, fan_out 64.
  expect_uniform(nn::glorot_uniform(Tensor::empty({64, 256}), gen, 2.0f),
                 2.0 * std::sqrt(6.0 / (256 + 64)));
  expect_normal(nn::glorot_normal(hwio_weight(), gen), std::sqrt(2.0 / (kFanIn + kFanOut)));
  expect_normal(nn::glorot_normal(hwio_weight(), gen, 0.5f),
                0.5 * std::sqrt(2.0 / (kFanIn + kFanOut)));
}

TEST(Init, KaimingUsesTheChosenFanAndGain) {
  Generator gen(4);
  // Defaults: fan_in, leaky_relu with a = 0 -> gain sqrt(2), bound sqrt(2) * sqrt(3 / fan_in).
  expect_uniform(nn::kaiming_uniform(hwio_weight(), gen), std::sqrt(6.0 / kFanIn));
  expect_normal(
      nn::kaiming_normal(hwio_weight(), gen,
                         {.mode = nn::FanMode::fan_out, .nonlinearity = nn::Nonlinearity::relu}),
      std::sqrt(2.0 / kFanOut));
  // Leaky relu with a = 0.2, fan_out of [out, in] = [256, 64] is 256.
  const double gain = std::sqrt(2.0 / (1.0 + 0.2 * 0.2));
  expect_uniform(
      nn::kaiming_uniform(Tensor::empty({256, 64}), gen, {.a = 0.2f, .mode = nn::FanMode::fan_out}),
      gain * std::sqrt(3.0 / 256.0));
  expect_normal(
      nn::kaiming_normal(Tensor::empty({256, 64}), gen, {.nonlinearity = nn::Nonlinearity::tanh}),
      5.0 / 3.0 / std::sqrt(64.0));
}

TEST(Init, PlainFills) {
  Generator gen(5);
  const Tensor u = nn::uniform(Tensor::empty({100, 100}), 2.0f, 3.0f, gen);
  const Moments mu = moments(u);
  const std::vector<float> values = u.to_vector();
  EXPECT_GE(*std::min_element(values.begin(), values.end()), 2.0f);
  EXPECT_LT(mu.max_abs, 3.0);
  EXPECT_NEAR(mu.mean, 2.5, 0.01);
  EXPECT_NEAR(mu.stddev, 1.0 / std::sqrt(12.0), kStdTolerance / std::sqrt(12.0));
  const Tensor n = nn::normal(Tensor::empty({100, 100}), -1.0f, 0.5f, gen);
  const Moments mn = moments(n);
  EXPECT_NEAR(mn.mean, -1.0, 5 * 0.5 / 100);
  EXPECT_NEAR(mn.stddev, 0.5, kStdTolerance * 0.5);
  EXPECT_EQ(nn::constant(Tensor::empty({3}), 1.5f).to_vector(), std::vector<float>(3, 1.5f));
  EXPECT_EQ(nn::zeros(Tensor::full({3}, 4.0f)).to_vector(), std::vector<float>(3, 0.0f));
  EXPECT_EQ(nn::ones(Tensor::empty({3})).to_vector(), std::vector<float>(3, 1.0f));
}

TEST(Init, FillsInPlaceThroughAHandle) {
  Generator gen(6);
  nn::Linear layer(4, 3, gen);
  const Tensor before = layer.bias();
  nn::zeros(layer.bias());
  EXPECT_EQ(layer.bias().to_vector(), std::vector<float>(3, 0.0f));
  EXPECT_TRUE(layer.bias().is_same(before));
  EXPECT_EQ(layer.state_dict().at("bias").to_vector(), std::vector<float>(3, 0.0f));
}

TEST(Init, RejectsWhatItCannotFill) {
  Generator gen(7);
  EXPECT_EQ(error_of([] {
              nn::zeros(Tensor::empty({2, 3}).transpose(0, 1));
            }),
            "nn::constant: the tensor of shape [3, 2] must be contiguous");
  EXPECT_EQ(error_of([] { nn::ones(Tensor::zeros({2}, DType::i64)); }),
            "nn::constant: the tensor must be float32, got int64 of shape [2]");
  EXPECT_EQ(error_of([&] { nn::uniform(Tensor::empty({2}), 1.0f, 0.0f, gen); }),
            "nn::uniform: lo 1 is greater than hi 0");
  const std::string rank3 = error_of([&] { nn::kaiming_normal(Tensor::empty({2, 2, 2}), gen); });
  EXPECT_EQ(rank3.rfind("nn::compute_fans: expected", 0), 0u) << rank3;
  // Nothing to fill and no fan to divide by: a no-op, as in PyTorch.
  EXPECT_EQ(nn::kaiming_uniform(Tensor::empty({0, 5}), gen).numel(), 0);
}

// ---- each layer's default initialization equals PyTorch's ----

TEST(DefaultInit, Conv2dIsUniformOnInverseSqrtFanIn) {
  Generator gen(8);
  // Grouped, so that ignoring groups (fan_in 288 instead of 72) would halve the bound.
  nn::Conv2d conv(32, 64, {.kernel = 3, .groups = 4}, gen);
  const double bound = 1.0 / std::sqrt(72.0);
  expect_uniform(conv.weight(), bound);
  const Moments b = moments(conv.bias());
  EXPECT_LE(b.max_abs, bound);
  EXPECT_GT(b.max_abs, 0.8 * bound);  // 64 samples: P(all below 0.8 bound) = 0.8^64
  EXPECT_TRUE(conv.weight().requires_grad());
}

TEST(DefaultInit, LinearIsUniformOnInverseSqrtFanIn) {
  Generator gen(9);
  nn::Linear layer(300, 128, gen);
  const double bound = 1.0 / std::sqrt(300.0);
  expect_uniform(layer.weight(), bound);
  const Moments b = moments(layer.bias());
  EXPECT_LE(b.max_abs, bound);
  EXPECT_GT(b.max_abs, 0.8 * bound);
}

TEST(DefaultInit, BatchNormStartsAsTheIdentity) {
  nn::BatchNorm2d bn(5);
  EXPECT_EQ(bn.weight().to_vector(), std::vector<float>(5, 1.0f));
  EXPECT_EQ(bn.bias().to_vector(), std::vector<float>(5, 0.0f));
  EXPECT_EQ(bn.running_mean().to_vector(), std::vector<float>(5, 0.0f));
  EXPECT_EQ(bn.running_var().to_vector(), std::vector<float>(5, 1.0f));
  EXPECT_EQ(bn.num_batches_tracked().dtype(), DType::i64);
  EXPECT_EQ(bn.num_batches_tracked().to_vector_i64(), std::vector<int64_t>{0});
  EXPECT_FALSE(bn.running_mean().requires_grad());
  EXPECT_TRUE(bn.weight().requires_grad());
}

TEST(DefaultInit, SameSeedSameWeights) {
  Generator a(42), b(42), c(43);
  nn::Conv2d ca(3, 8, {.kernel = 3}, a), cb(3, 8, {.kernel = 3}, b), cc(3, 8, {.kernel = 3}, c);
  EXPECT_TRUE(bit_identical(ca.weight(), cb.weight()));
  EXPECT_TRUE(bit_identical(ca.bias(), cb.bias()));
  EXPECT_FALSE(bit_identical(ca.weight(), cc.weight()));
  // Successive layers from one generator differ.
  nn::Conv2d next(3, 8, {.kernel = 3}, a);
  EXPECT_FALSE(bit_identical(ca.weight(), next.weight()));
}

// Under the guard the random initializers draw nothing (the generator's stream is where it
// was) and leave zeros; constants are still written; outside it everything is as before.
TEST(Init, SkipInitGuardDrawsNothing) {
  Generator gen(11), untouched(11);
  Tensor w = Tensor::empty({3, 3, 4, 8});
  {
    nn::SkipInitGuard skip;
    EXPECT_TRUE(nn::initialization_skipped());
    nn::kaiming_normal(w, gen);
    EXPECT_EQ(*std::max_element(w.data(), w.data() + w.numel()), 0.0f);
    EXPECT_EQ(*std::min_element(w.data(), w.data() + w.numel()), 0.0f);
    nn::Linear linear(4, 5, gen);
    EXPECT_EQ(linear.weight().to_vector(), std::vector<float>(20, 0.0f));
    nn::BatchNorm2d bn(4);
    EXPECT_EQ(bn.running_var().to_vector(), std::vector<float>(4, 1.0f));
  }
  EXPECT_FALSE(nn::initialization_skipped());
  EXPECT_EQ(gen.next_u64(), untouched.next_u64());
  nn::uniform(w, -1.0f, 1.0f, gen);
  EXPECT_GT(*std::max_element(w.data(), w.data() + w.numel()), 0.0f);
}

}  // namespace
}  // namespace cnn
