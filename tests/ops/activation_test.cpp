#include <gtest/gtest.h>

#include <cmath>
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
