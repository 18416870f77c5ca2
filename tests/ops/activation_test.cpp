#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using cnn::testing::error_of;

using testing::randn;
using testing::relative_error;

// Gradient of sum(f(x) * 1) at each element of x.
std::vector<float> grad_at(const std::function<Tensor(const Tensor&)>& f,
                           const std::vector<float>& values) {
  Tensor x = Tensor::from_data({static_cast<int64_t>(values.size())}, values).requires_grad_();
  sum(f(x)).backward();
  return x.grad().to_vector();
}

// Random values at least 0.1 away from the kinks at 0 and 6, so that a finite difference of
// step eps = 1e-2 along a unit-variance direction does not cross them.
Tensor away_from_kinks(const Shape& shape, uint64_t seed) {
  std::vector<float> v = affine(randn(shape, seed), 4.0f, 2.0f).to_vector();
  for (float& e : v)
    for (float kink : {0.0f, 6.0f})
      if (std::abs(e - kink) < 0.1f) e = kink + (e < kink ? -0.2f : 0.2f);
  return Tensor::from_data(shape, v);
}

// NaN and -0 as PyTorch 1.13 treats them (torch.relu, relu6, leaky_relu(0.1) on
// [nan, -0, -1, 2, 7], then the gradient of their sum): a NaN passes through forward and
// passes the gradient through backward (PyTorch's threshold tests x <= 0, x >= 6 are false for
// it), and -0 stays -0 forward with gradient 0 (0.1 for leaky_relu).
TEST(Activation, NaNAndNegativeZeroAsPyTorch) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {nan, -0.0f, -1.0f, 2.0f, 7.0f};
  const Tensor t = Tensor::from_data({5}, x);
  const auto expect_forward = [](const Tensor& y, const std::vector<float>& want,
                                 const char* name) {
    const std::vector<float> got = y.to_vector();
    EXPECT_TRUE(std::isnan(got[0])) << name;
    EXPECT_TRUE(got[1] == 0.0f && std::signbit(got[1])) << name << ": -0 stays -0";
    for (size_t i = 2; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]) << name << " " << i;
  };
  expect_forward(relu(t), {nan, -0.0f, 0.0f, 2.0f, 7.0f}, "relu");
  expect_forward(relu6(t), {nan, -0.0f, 0.0f, 2.0f, 6.0f}, "relu6");
  expect_forward(leaky_relu(t, 0.1f), {nan, -0.0f, -0.1f, 2.0f, 7.0f}, "leaky_relu");
  EXPECT_EQ(grad_at([](const Tensor& v) { return relu(v); }, x),
            (std::vector<float>{1, 0, 0, 1, 1}));
  EXPECT_EQ(grad_at([](const Tensor& v) { return relu6(v); }, x),
            (std::vector<float>{1, 0, 0, 1, 0}));
  EXPECT_EQ(grad_at([](const Tensor& v) { return leaky_relu(v, 0.1f); }, x),
            (std::vector<float>{0.1f, 0.1f, 0.1f, 1, 1}));
}

TEST(Activation, ForwardValues) {
  const Tensor x = Tensor::from_data({7}, {-3.0f, -0.5f, 0.0f, 0.5f, 5.5f, 6.0f, 8.0f});
  EXPECT_EQ(relu(x).to_vector(), (std::vector<float>{0, 0, 0, 0.5f, 5.5f, 6, 8}));
  EXPECT_EQ(relu6(x).to_vector(), (std::vector<float>{0, 0, 0, 0.5f, 5.5f, 6, 6}));
  EXPECT_EQ(leaky_relu(x, 0.1f).to_vector(),
            (std::vector<float>{-0.3f, -0.05f, 0, 0.5f, 5.5f, 6, 8}));
  EXPECT_FLOAT_EQ(leaky_relu(x).at({0}), -0.03f);  // default slope 0.01
  const std::vector<float> s = sigmoid(x).to_vector(), t = tanh(x).to_vector(), v = x.to_vector();
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_FLOAT_EQ(s[i], 1.0f / (1.0f + std::exp(-v[i])));
    EXPECT_FLOAT_EQ(t[i], std::tanh(v[i]));
  }
  // Saturation gives the limits, not NaN.
  EXPECT_EQ(sigmoid(Tensor::from_data({2}, {-200.0f, 200.0f})).to_vector(),
            (std::vector<float>{0, 1}));
}

TEST(Activation, SubgradientsAtTheKinksFollowPyTorch) {
  const std::vector<float> at = {0.0f, 6.0f};
  EXPECT_EQ(grad_at([](const Tensor& x) { return relu(x); }, at), (std::vector<float>{0, 1}));
  EXPECT_EQ(grad_at([](const Tensor& x) { return relu6(x); }, at), (std::vector<float>{0, 0}));
  EXPECT_EQ(grad_at([](const Tensor& x) { return leaky_relu(x, 0.2f); }, at),
            (std::vector<float>{0.2f, 1}));
}

TEST(Activation, Gradcheck) {
  const Tensor x = away_from_kinks({2, 3, 4, 5}, 1).requires_grad_();
  const Tensor small = randn({3, 7}, 2, 2.0f).requires_grad_();
  const std::vector<std::pair<const char*, GradcheckFn>> cases = {
      {"relu", [](const std::vector<Tensor>& in) { return relu(in[0]); }},
      {"relu6", [](const std::vector<Tensor>& in) { return relu6(in[0]); }},
      {"leaky_relu", [](const std::vector<Tensor>& in) { return leaky_relu(in[0]); }},
      {"leaky_relu 0.3", [](const std::vector<Tensor>& in) { return leaky_relu(in[0], 0.3f); }},
      {"sigmoid", [](const std::vector<Tensor>& in) { return sigmoid(in[0]); }},
      {"tanh", [](const std::vector<Tensor>& in) { return tanh(in[0]); }},
  };
  for (const auto& [name, f] : cases) {
    SCOPED_TRACE(name);
    auto r = gradcheck(f, {x});
    EXPECT_TRUE(r.ok) << r.report;
    if (std::string(name) == "sigmoid" || std::string(name) == "tanh") {
      r = gradcheck(f, {small});
      EXPECT_TRUE(r.ok) << r.report;
    }
  }
}

// ---- clamp, prelu, hardsigmoid, hardswish ----

// Forward values and the gradient of sum(f(x)) at each element, compared with what PyTorch
// 1.13 gives (the expected vectors are its output, printed). NaN compares equal to NaN;
// zeros compare with their sign.
void expect_values_and_grad(const std::function<Tensor(const Tensor&)>& f,
                            const std::vector<float>& x, const std::vector<float>& want_y,
                            const std::vector<float>& want_dx) {
  const auto same = [&x](const std::vector<float>& got, const std::vector<float>& want,
                         const char* what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) {
      const bool ok = (std::isnan(got[i]) && std::isnan(want[i])) ||
                      (got[i] == want[i] && std::signbit(got[i]) == std::signbit(want[i]));
      EXPECT_TRUE(ok) << what << "[" << i << "] at x = " << x[i] << ": got " << got[i] << ", want "
                      << want[i];
    }
  };
  same(f(Tensor::from_data({static_cast<int64_t>(x.size())}, x)).to_vector(), want_y, "y");
  same(grad_at(f, x), want_dx, "dx");
}

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Values at least 0.1 away from each point in `kinks` (see away_from_kinks).
Tensor away_from(const Tensor& t, std::initializer_list<float> kinks) {
  std::vector<float> v = t.to_vector();
  for (float& e : v)
    for (float kink : kinks)
      if (std::abs(e - kink) < 0.1f) e = kink + (e < kink ? -0.2f : 0.2f);
  return Tensor::from_data(t.shape(), v);
}

TEST(Clamp, ValuesAndGradientAsPyTorch) {
  // torch.clamp(x, -1, 1): bounds inclusive in the gradient, NaN passes through forward and
  // gets gradient 0, -0 stays -0.
  expect_values_and_grad([](const Tensor& x) { return clamp(x, -1.0f, 1.0f); },
                         {-1.0f, 1.0f, kNaN, -0.0f, 2.0f, -2.0f, -kInf, kInf, 0.5f},
                         {-1.0f, 1.0f, kNaN, -0.0f, 1.0f, -1.0f, -1.0f, 1.0f, 0.5f},
                         {1, 1, 0, 1, 0, 0, 0, 0, 1});
  // Infinite bounds (ONNX's Clip without min or max): the identity, infinities included.
  expect_values_and_grad([](const Tensor& x) { return clamp(x, -kInf, kInf); },
                         {-kInf, kInf, kNaN, 1.0f}, {-kInf, kInf, kNaN, 1.0f}, {1, 1, 0, 1});
  expect_values_and_grad([](const Tensor& x) { return clamp(x, 0.0f, kInf); }, {-0.0f, -1.0f, 3.0f},
                         {-0.0f, 0.0f, 3.0f}, {1, 0, 1});
  // lo > hi: hi everywhere and no gradient, as PyTorch.
  expect_values_and_grad([](const Tensor& x) { return clamp(x, 2.0f, 1.0f); },
                         {0.0f, 1.5f, 3.0f, kNaN}, {1.0f, 1.0f, 1.0f, kNaN}, {0, 0, 0, 0});
}

TEST(Clamp, Gradcheck) {
  const Tensor x = away_from(randn({2, 3, 4, 5}, 11, 2.0f), {-1.0f, 1.5f}).requires_grad_();
  auto r = gradcheck([](const std::vector<Tensor>& in) { return clamp(in[0], -1.0f, 1.5f); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
  r = gradcheck([](const std::vector<Tensor>& in) { return clamp(in[0], -kInf, 1.5f); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Hardsigmoid, ValuesAndGradientAsPyTorch) {
  // F.hardsigmoid: the gradient 1/6 strictly between -3 and 3; 0 at -3, 3 and NaN.
  const float sixth = 1.0f / 6.0f;
  expect_values_and_grad([](const Tensor& x) { return hardsigmoid(x); },
                         {-3.0f, 3.0f, kNaN, -0.0f, -3.0000002f, 2.9999998f, -kInf, kInf, 1.5f},
                         {0.0f, 1.0f, kNaN, 0.5f, 0.0f, 1.0f, 0.0f, 1.0f, 0.75f},
                         {0, 0, 0, sixth, 0, sixth, 0, 0, sixth});
  // ONNX's defaults, alpha 0.2 and beta 0.5: saturated from -2.5 and 2.5 on.
  expect_values_and_grad([](const Tensor& x) { return hardsigmoid(x, 0.2f, 0.5f); },
                         {-2.5f, 2.5f, -3.0f, 0.0f, 1.0f}, {0.0f, 1.0f, 0.0f, 0.5f, 0.7f},
                         {0, 0, 0, 0.2f, 0.2f});
}

TEST(Hardsigmoid, Gradcheck) {
  const Tensor x = away_from(randn({2, 3, 4, 5}, 12, 4.0f), {-3.0f, 3.0f}).requires_grad_();
  auto r = gradcheck([](const std::vector<Tensor>& in) { return hardsigmoid(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
  const Tensor y = away_from(randn({3, 7}, 13, 3.0f), {-2.5f, 2.5f}).requires_grad_();
  r = gradcheck([](const std::vector<Tensor>& in) { return hardsigmoid(in[0], 0.2f, 0.5f); }, {y});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Hardswish, ValuesAndGradientAsPyTorch) {
  // PyTorch 1.13's vectorized kernel (most elements of any tensor): gradient -0.5 at -3 (the
  // middle formula), 1 at 3 (the upper branch), NaN at NaN; -inf gives NaN forward.
  expect_values_and_grad([](const Tensor& x) { return hardswish(x); },
                         {-3.0f, 3.0f, kNaN, -0.0f, -3.0000002f, 2.9999998f, -kInf, kInf, 1.0f},
                         {-0.0f, 3.0f, kNaN, -0.0f, -0.0f, 2.9999998f, kNaN, kInf, 4.0f / 6.0f},
                         {-0.5f, 1.0f, kNaN, 0.5f, 0.0f, 1.5f, 0.0f, 1.0f, 1.0f / 3.0f + 0.5f});
}

TEST(Hardswish, Gradcheck) {
  const Tensor x = away_from(randn({2, 3, 4, 5}, 14, 4.0f), {-3.0f, 3.0f}).requires_grad_();
  auto r = gradcheck([](const std::vector<Tensor>& in) { return hardswish(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Prelu, ValuesAndGradientsAsPyTorch) {
  // F.prelu(x, [0.25]): x = 0 and -0 take the slope branch (y = slope * x keeps -0), a NaN
  // gives NaN forward, slope * dy backward and a NaN slope gradient.
  const std::vector<float> x = {-1.0f, 0.0f, -0.0f, kNaN, 2.0f};
  const Tensor slope = Tensor::from_data({1}, {0.25f});
  expect_values_and_grad([&](const Tensor& t) { return prelu(t, slope); }, x,
                         {-0.25f, 0.0f, -0.0f, kNaN, 2.0f}, {0.25f, 0.25f, 0.25f, 0.25f, 1.0f});
  Tensor s = slope.clone().requires_grad_();
  sum(prelu(Tensor::from_data({5}, x), s)).backward();
  EXPECT_TRUE(std::isnan(s.grad().item()));
  // Without the NaN: dslope = sum of x where x <= 0.
  s = slope.clone().requires_grad_();
  sum(prelu(Tensor::from_data({4}, {-1.0f, 0.0f, -3.0f, 2.0f}), s)).backward();
  EXPECT_EQ(s.grad().to_vector(), (std::vector<float>{-4.0f}));
}

// prelu against its composition relu(x) - slope * relu(-x) (the same function away from 0),
// forward and both gradients, for per-channel, single and other broadcast slopes.
TEST(Prelu, MatchesCompositionForEveryBroadcast) {
  const Tensor x = away_from(randn({2, 3, 4, 5}, 15, 2.0f), {0.0f});
  const Tensor dy = randn(x.shape(), 16);
  for (const Shape& slope_shape : std::vector<Shape>{
           {5}, {1}, {}, {1, 1, 1, 5}, {4, 5}, {3, 1, 1}, {2, 1, 4, 1}, {2, 3, 4, 5}}) {
    SCOPED_TRACE(to_string(slope_shape));
    const Tensor slope = affine(randn(slope_shape, 17), 0.2f, 0.25f);
    Tensor xa = x.clone().requires_grad_(), sa = slope.clone().requires_grad_();
    Tensor xb = x.clone().requires_grad_(), sb = slope.clone().requires_grad_();
    const Tensor ya = prelu(xa, sa);
    const Tensor yb = relu(xb) - sb * relu(neg(xb));
    EXPECT_LE(relative_error(ya, yb), 1e-7);
    ya.backward(dy);
    yb.backward(dy);
    EXPECT_LE(relative_error(xa.grad(), xb.grad()), 1e-7);
    EXPECT_EQ(sa.grad().shape(), slope_shape);
    EXPECT_LE(relative_error(sa.grad(), sb.grad()), 1e-6);
  }
}

TEST(Prelu, Gradcheck) {
  const Tensor x = away_from(randn({2, 3, 4, 5}, 18, 2.0f), {0.0f}).requires_grad_();
  for (const Shape& slope_shape : std::vector<Shape>{{5}, {1}, {3, 1, 1}}) {
    SCOPED_TRACE(to_string(slope_shape));
    const Tensor slope = affine(randn(slope_shape, 19), 0.2f, 0.25f).requires_grad_();
    auto r =
        gradcheck([](const std::vector<Tensor>& in) { return prelu(in[0], in[1]); }, {x, slope});
    EXPECT_TRUE(r.ok) << r.report;
  }
}

TEST(Prelu, OnlyTheInputsThatRequireGradGetOne) {
  const Tensor x = randn({2, 2, 2, 3}, 20);
  Tensor slope = Tensor::full({3}, 0.1f).requires_grad_();
  sum(prelu(x, slope)).backward();
  EXPECT_TRUE(slope.grad().defined());
  Tensor xg = x.clone().requires_grad_();
  sum(prelu(xg, Tensor::full({3}, 0.1f))).backward();
  EXPECT_EQ(xg.grad().shape(), x.shape());
}

TEST(ClampPreluHard, Errors) {
  const Tensor x = Tensor::zeros({2, 4, 4, 3});
  EXPECT_EQ(error_of([&] { clamp(x, kNaN, 1.0f); }),
            "clamp: bounds must not be NaN, got lo nan and hi 1 for x of shape [2, 4, 4, 3]");
  EXPECT_EQ(error_of([] { clamp(Tensor::zeros({3}, DType::i64), 0.0f, 1.0f); }),
            "clamp: argument 'x' must be float32, got int64 of shape [3]");
  EXPECT_EQ(error_of([&] { prelu(x, Tensor::ones({4})); }),
            "prelu: argument 'slope' of shape [4] does not broadcast to x of shape [2, 4, 4, 3] "
            "(for NHWC x: one slope per channel [C], or one for all [1])");
  EXPECT_EQ(error_of([&] {
              prelu(x, Tensor::ones({1, 1, 1, 1, 3}));
            }),
            "prelu: argument 'slope' of shape [1, 1, 1, 1, 3] does not broadcast to x of shape "
            "[2, 4, 4, 3] (for NHWC x: one slope per channel [C], or one for all [1])");
  EXPECT_EQ(error_of([&] { prelu(x, Tensor::zeros({3}, DType::i64)); }),
            "prelu: argument 'slope' must be float32, got int64 of shape [3]");
  EXPECT_EQ(error_of([&] { prelu(Tensor(), Tensor::ones({3})); }),
            "prelu: argument 'x' is an undefined tensor");
  EXPECT_EQ(error_of([&] { hardsigmoid(x, kInf); }),
            "hardsigmoid: alpha and beta must be finite, got alpha inf and beta 0.5 for x of "
            "shape [2, 4, 4, 3]");
  EXPECT_EQ(error_of([] { hardswish(Tensor::zeros({2}, DType::i64)); }),
            "hardswish: argument 'x' must be float32, got int64 of shape [2]");
}

TEST(Softmax, NormalizedAndStableForLargeInputs) {
  const Tensor x = Tensor::from_data({2, 3}, {1000.0f, 1001.0f, 1002.0f, -1000.0f, 0.0f, 1000.0f});
  const std::vector<float> p = softmax(x).to_vector(), lp = log_softmax(x).to_vector();
  const double z = 1 + std::exp(-1.0) + std::exp(-2.0);
  EXPECT_NEAR(p[2], 1 / z, 1e-7);
  EXPECT_NEAR(p[1], std::exp(-1.0) / z, 1e-7);
  EXPECT_NEAR(lp[0], -2 - std::log(z), 1e-6);
  EXPECT_EQ(p[3], 0.0f);
  EXPECT_FLOAT_EQ(p[5], 1.0f);
  EXPECT_NEAR(lp[3], -2000.0f, 1e-3);  // finite where softmax underflows
}

TEST(Softmax, AlongEveryDimension) {
  const Tensor x = randn({3, 4, 5}, 3, 2.0f);
  for (int64_t dim : {0, 1, 2, -1, -3}) {
    SCOPED_TRACE(dim);
    const Tensor p = softmax(x, dim);
    const Tensor total = sum(p, {dim});
    for (float v : total.to_vector()) EXPECT_NEAR(v, 1.0f, 1e-6);
    // log_softmax(x) = x - log(sum(exp(x))), computed here by composition.
    const Tensor expected = x - log(sum(exp(x), {dim}, true));
    EXPECT_LE(relative_error(log_softmax(x, dim), expected), 1e-6);
    EXPECT_LE(relative_error(softmax(x, dim), exp(expected)), 1e-6);
  }
}

TEST(Softmax, Gradcheck) {
  const Tensor x = randn({2, 3, 4}, 4, 1.5f).requires_grad_();
  for (int64_t dim : {0, 1, -1}) {
    SCOPED_TRACE(dim);
    auto r = gradcheck([dim](const std::vector<Tensor>& in) { return softmax(in[0], dim); }, {x});
    EXPECT_TRUE(r.ok) << r.report;
    r = gradcheck([dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); }, {x});
    EXPECT_TRUE(r.ok) << r.report;
  }
}

TEST(Softmax, Errors) {
  EXPECT_EQ(error_of([] {
              softmax(Tensor::ones({2, 3}), 2);
            }),
            "softmax: dimension 2 is out of range for a tensor of rank 2");
  EXPECT_EQ(error_of([] { log_softmax(Tensor::scalar(1.0f)); }),
            "log_softmax: argument 'x' must have rank >= 1, got a scalar");
  EXPECT_EQ(error_of([] { relu(Tensor::zeros({3}, DType::i64)); }),
            "relu: argument 'x' must be float32, got int64 of shape [3]");
}

TEST(Dropout, KeepsAboutOneMinusPScaledByItsInverse) {
  const int64_t n = 200000;
  const Tensor x = Tensor::ones({n});
  for (float p : {0.1f, 0.5f, 0.8f}) {
    SCOPED_TRACE(p);
    Generator gen(42);
    const std::vector<float> y = dropout(x, p, true, gen).to_vector();
    int64_t kept = 0;
    for (float v : y) {
      if (v != 0.0f) {
        ++kept;
        EXPECT_EQ(v, 1.0f / (1.0f - p));
      }
    }
    // The kept count is binomial(n, 1 - p): 6 standard deviations.
    const double fraction = static_cast<double>(kept) / n;
    EXPECT_NEAR(fraction, 1.0 - p, 6.0 * std::sqrt(p * (1.0 - p) / n));
  }
}

TEST(Dropout, SeedFixesTheMaskAndBackwardUsesIt) {
  const Tensor x = affine(randn({4, 5, 6}, 5), 1.0f, 3.0f);  // no zeros in x
  Generator a(7), b(7), c(8);
  const Tensor ya = dropout(x, 0.4f, true, a), yb = dropout(x, 0.4f, true, b),
               yc = dropout(x, 0.4f, true, c);
  EXPECT_TRUE(testing::bit_identical(ya, yb));
  EXPECT_FALSE(testing::bit_identical(ya, yc));
  // The generator advanced: a second draw gives another mask.
  EXPECT_FALSE(testing::bit_identical(ya, dropout(x, 0.4f, true, a)));

  Tensor leaf = x.clone().requires_grad_();
  Generator d(7);
  const Tensor y = dropout(leaf, 0.4f, true, d);
  const Tensor g = randn(x.shape(), 6);
  y.backward(g);
  const std::vector<float> dx = leaf.grad().to_vector(), yv = y.to_vector(), xv = x.to_vector(),
                           gv = g.to_vector();
  for (size_t i = 0; i < dx.size(); ++i) {
    const float mask = yv[i] / xv[i];  // 0 or 1 / (1 - p)
    EXPECT_NEAR(dx[i], gv[i] * mask, 1e-6f * std::abs(gv[i] * mask) + 1e-30f);
    EXPECT_EQ(dx[i] == 0.0f, yv[i] == 0.0f);
  }
}

TEST(Dropout, IdentityInEvaluationAndForZeroP) {
  const Tensor x = randn({3, 4}, 9);
  Generator gen(1);
  const Generator::State before = gen.state();
  EXPECT_TRUE(dropout(x, 0.5f, false, gen).is_same(x));
  EXPECT_TRUE(dropout(x, 0.0f, true, gen).is_same(x));
  EXPECT_EQ(gen.state(), before);  // no random numbers drawn
}

TEST(Dropout, Errors) {
  Generator gen(1);
  const Tensor x = Tensor::ones({2, 3});
  EXPECT_EQ(error_of([&] { dropout(x, 1.0f, true, gen); }),
            "dropout: argument 'p' must be in [0, 1), got 1 for x of shape [2, 3]");
  EXPECT_EQ(error_of([&] { dropout(x, -0.1f, false, gen); }),
            "dropout: argument 'p' must be in [0, 1), got -0.1 for x of shape [2, 3]");
  EXPECT_NE(error_of([&] { dropout(x, std::nanf(""), true, gen); }).find("must be in [0, 1)"),
            std::string::npos);
}

}  // namespace
}  // namespace cnn
