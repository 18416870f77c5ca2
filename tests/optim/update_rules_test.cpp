// SGD, Adam and AdamW on cases small enough to compute by hand, the skipping of parameters
// without a gradient, and the errors for bad parameters, hyper-parameters and gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cnn/optim/adam.h"
#include "cnn/optim/sgd.h"
#include "support/tensor_testing.h"

namespace cnn::optim {
namespace {

using testing::error_of;

Tensor param(const std::vector<float>& values) {
  Tensor p = Tensor::from_data({static_cast<int64_t>(values.size())}, values);
  p.requires_grad_(true);
  return p;
}

// Sets p's gradient to `grad` and takes one step.
void step_with(Optimizer& opt, Tensor& p, const std::vector<float>& grad) {
  p.set_grad(Tensor::from_data(p.shape(), grad));
  opt.step();
}

void expect_values(const Tensor& t, const std::vector<float>& expected, float tol = 1e-6f) {
  const std::vector<float> got = t.to_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
}

// ---- SGD ----

TEST(SGD, PlainStepIsLrTimesGradient) {
  Tensor p = param({1.0f, 2.0f});
  SGD opt({p}, {.lr = 0.1f});
  step_with(opt, p, {0.5f, -1.0f});
  expect_values(p, {0.95f, 2.1f});
}

TEST(SGD, MomentumBufferStartsAtTheGradient) {
  // v1 = g = 1; v2 = 0.9 * 1 + 1 = 1.9.  p: 1 -> 1 - 0.1 -> 0.9 - 0.19.
  Tensor p = param({1.0f});
  SGD opt({p}, {.lr = 0.1f, .momentum = 0.9f});
  step_with(opt, p, {1.0f});
  expect_values(p, {0.9f});
  step_with(opt, p, {1.0f});
  expect_values(p, {0.71f});
}

TEST(SGD, DampeningSparesTheFirstStep) {
  // v1 = g = 1 (undamped); v2 = 0.9 * 1 + (1 - 0.5) * 1 = 1.4.
  Tensor p = param({0.0f});
  SGD opt({p}, {.lr = 1.0f, .momentum = 0.9f, .dampening = 0.5f});
  step_with(opt, p, {1.0f});
  expect_values(p, {-1.0f});
  step_with(opt, p, {1.0f});
  expect_values(p, {-2.4f});
}

TEST(SGD, NesterovLooksAhead) {
  // v1 = 1, d1 = 1 + 0.9 * 1 = 1.9; v2 = 1.9, d2 = 1 + 0.9 * 1.9 = 2.71.
  Tensor p = param({1.0f});
  SGD opt({p}, {.lr = 0.1f, .momentum = 0.9f, .nesterov = true});
  step_with(opt, p, {1.0f});
  expect_values(p, {0.81f});
  step_with(opt, p, {1.0f});
  expect_values(p, {0.539f});
}

TEST(SGD, WeightDecayIsAddedToTheGradient) {
  // d = 0 + 0.5 * 2 = 1.
  Tensor p = param({2.0f});
  SGD opt({p}, {.lr = 0.1f, .weight_decay = 0.5f});
  step_with(opt, p, {0.0f});
  expect_values(p, {1.9f});
}

// ---- Adam and AdamW ----

TEST(Adam, BiasCorrectionMakesTheFirstStepLrTimesSign) {
  // m = (1 - b1) g, v = (1 - b2) g^2; corrected: m^ = g, v^ = g^2 -> step lr * g / |g|.
  Tensor p = param({1.0f, 1.0f});
  Adam opt({p}, {.lr = 0.1f, .eps = 0.0f});
  step_with(opt, p, {2.0f, -0.5f});
  expect_values(p, {0.9f, 1.1f});
}

TEST(Adam, BiasCorrectionOnTheSecondStep) {
  // b1 = b2 = 0.5, g = 1 then -1.  Step 1: m = 0.5, v = 0.5, m^ = v^ = 1 -> p -= 1.
  // Step 2: m = 0.25 - 0.5 = -0.25, v = 0.25 + 0.5 = 0.75, corrections 1 - 0.25 = 0.75:
  // m^ = -1/3, v^ = 1 -> p += 1/3.
  Tensor p = param({0.0f});
  Adam opt({p}, {.lr = 1.0f, .beta1 = 0.5, .beta2 = 0.5, .eps = 0.0f});
  step_with(opt, p, {1.0f});
  expect_values(p, {-1.0f});
  step_with(opt, p, {-1.0f});
  expect_values(p, {-1.0f + 1.0f / 3.0f});
}

TEST(Adam, EpsIsAddedOutsideTheSquareRoot) {
  // m^ = 1, v^ = 1: lr * 1 / (sqrt(1) + 1) = 0.5 (inside the root it would be 1 / sqrt(2)).
  Tensor p = param({0.0f});
  Adam opt({p}, {.lr = 1.0f, .eps = 1.0f});
  step_with(opt, p, {1.0f});
  expect_values(p, {-0.5f});
}

TEST(Adam, AmsgradKeepsTheLargestSecondMoment) {
  // b1 = b2 = 0.5, g = 2 then 0: v = 2 then 1, v_max = 2; m = 1 then 0.5.
  // Step 2 with corrections 0.75: lr * (0.5 / 0.75) / (sqrt(v) / sqrt(0.75)).
  const float corrected_m = 0.5f / 0.75f;
  for (const bool amsgrad : {false, true}) {
    Tensor p = param({0.0f});
    Adam opt({p}, {.lr = 1.0f, .beta1 = 0.5, .beta2 = 0.5, .eps = 0.0f, .amsgrad = amsgrad});
    step_with(opt, p, {2.0f});
    expect_values(p, {-1.0f});
    step_with(opt, p, {0.0f});
    const float v = amsgrad ? 2.0f : 1.0f;
    expect_values(p, {-1.0f - corrected_m / (std::sqrt(v) / std::sqrt(0.75f))});
  }
}

TEST(Adam, ConstantGradientMovesLrPerStep) {
  Tensor p = param({0.0f});
  Adam opt({p}, {.lr = 0.01f, .eps = 0.0f});
  for (int t = 1; t <= 4; ++t) {
    step_with(opt, p, {3.0f});
    expect_values(p, {-0.01f * static_cast<float>(t)});
  }
}

TEST(AdamW, DecaysTheParameterInsteadOfTheGradient) {
  // Zero gradient: AdamW only shrinks p by (1 - lr * wd); Adam's L2 term becomes the gradient
  // 0.5 * 1, and its first step moves p by lr.
  Tensor p = param({1.0f});
  AdamW adamw({p}, {.lr = 0.1f, .weight_decay = 0.5f});
  step_with(adamw, p, {0.0f});
  expect_values(p, {0.95f});
  Tensor q = param({1.0f});
  Adam adam({q}, {.lr = 0.1f, .eps = 0.0f, .weight_decay = 0.5f});
  step_with(adam, q, {0.0f});
  expect_values(q, {0.9f});
}

TEST(AdamW, DecayComesBeforeTheAdamStep) {
  // p = 2 * (1 - 0.1 * 0.5) = 1.9, then the first Adam step moves it by lr: 1.8.
  Tensor p = param({2.0f});
  AdamW opt({p}, {.lr = 0.1f, .eps = 0.0f, .weight_decay = 0.5f});
  step_with(opt, p, {1.0f});
  expect_values(p, {1.8f});
  EXPECT_FLOAT_EQ(AdamWOptions{}.weight_decay, 1e-2f);  // PyTorch's default
}

// ---- skipping ----

TEST(Optimizer, SkipsParametersWithoutGradientAndKeepsTheirState) {
  Tensor a = param({1.0f}), b = param({1.0f});
  Adam opt({a, b}, {.lr = 0.1f, .eps = 0.0f});
  step_with(opt, a, {1.0f});  // b has no gradient: untouched, no state
  EXPECT_EQ(b.to_vector(), std::vector<float>{1.0f});
  EXPECT_FALSE(opt.state_dict().contains("param.1.exp_avg"));
  // b's first update is a first step for it (bias-corrected by its own count): moves by lr.
  b.set_grad(Tensor::from_data({1}, {1.0f}));
  step_with(opt, a, {1.0f});
  expect_values(b, {0.9f});
  const nn::StateDict state = opt.state_dict();
  EXPECT_EQ(state.at("param.0.step").to_vector_i64(), std::vector<int64_t>{2});
  EXPECT_EQ(state.at("param.1.step").to_vector_i64(), std::vector<int64_t>{1});
  EXPECT_EQ(state.at("step").to_vector_i64(), std::vector<int64_t>{2});
  // Dropping the gradients skips everything.
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  const std::vector<float> before = a.to_vector();
  opt.step();
  EXPECT_EQ(a.to_vector(), before);
  EXPECT_EQ(opt.state_dict().at("param.0.step").to_vector_i64(), std::vector<int64_t>{2});
}

// ---- errors ----

TEST(Optimizer, RejectsBadParameters) {
  EXPECT_EQ(error_of([] { SGD({}, {}); }), "SGD: the parameter list is empty");
  EXPECT_NE(error_of([] { Adam({Tensor()}, {}); }).find("Adam: parameter 0 is undefined"),
            std::string::npos);
  Tensor p = param({1.0f});
  EXPECT_NE(error_of([&] {
              SGD({p, p}, {});
            }).find("parameter 1 (shape [1]) is the same tensor as parameter 0"),
            std::string::npos);
  const Tensor strided = Tensor::zeros({2, 3}).transpose(0, 1);
  EXPECT_NE(error_of([&] {
              AdamW({strided}, {});
            }).find("AdamW: parameter 0 (shape [3, 2], float32) must be a float32 contiguous leaf"),
            std::string::npos);
  const Tensor ints = Tensor::zeros({2}, DType::i64);
  EXPECT_NE(error_of([&] { SGD({ints}, {}); }).find("(shape [2], int64)"), std::string::npos);
}

TEST(Optimizer, RejectsBadHyperParameters) {
  Tensor p = param({1.0f});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(error_of([&] { SGD({p}, {.lr = -0.1f}); }),
            "SGD: lr must be finite and at least 0, got -0.1");
  EXPECT_NE(error_of([&] { SGD({p}, {.lr = nan}); }).find("SGD: lr must be finite"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { SGD({p}, {.momentum = -1.0f}); }),
            "SGD: momentum must be finite and at least 0, got -1");
  EXPECT_EQ(error_of([&] { SGD({p}, {.dampening = 1.5f}); }),
            "SGD: dampening must lie in [0, 1], got 1.5");
  EXPECT_EQ(error_of([&] { SGD({p}, {.weight_decay = -1.0f}); }),
            "SGD: weight_decay must be finite and at least 0, got -1");
  EXPECT_EQ(error_of([&] { SGD({p}, {.momentum = 0.9f, .dampening = 0.1f, .nesterov = true}); }),
            "SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum 0.9 and "
            "dampening 0.1");
  EXPECT_EQ(error_of([&] { Adam({p}, {.beta1 = 1.0}); }), "Adam: beta1 must lie in [0, 1), got 1");
  EXPECT_EQ(error_of([&] { AdamW({p}, {.beta2 = -0.5}); }),
            "AdamW: beta2 must lie in [0, 1), got -0.5");
  EXPECT_EQ(error_of([&] { Adam({p}, {.eps = -1e-8f}); }),
            "Adam: eps must be finite and at least 0, got -1e-08");
  EXPECT_EQ(error_of([&] { AdamW({p}, {.weight_decay = std::numeric_limits<float>::infinity()}); }),
            "AdamW: weight_decay must be finite and at least 0, got inf");
  SGD opt({p}, {.lr = 0.1f});
  EXPECT_EQ(error_of([&] { opt.set_lr(-1.0f); }), "SGD: lr must be finite and at least 0, got -1");
  EXPECT_FLOAT_EQ(opt.lr(), 0.1f);
  opt.set_lr(0.25f);
  EXPECT_FLOAT_EQ(opt.options().lr, 0.25f);
}

TEST(Optimizer, BadGradientLeavesEveryParameterUntouched) {
  Tensor a = param({1.0f, 2.0f}), b = param({3.0f});
  SGD opt({a, b}, {.lr = 0.1f, .momentum = 0.9f});
  a.set_grad(Tensor::from_data({2}, {1.0f, 1.0f}));
  b.set_grad(Tensor::zeros({1}, DType::i64));  // set_grad checks the shape, not the dtype
  EXPECT_EQ(error_of([&] { opt.step(); }),
            "SGD::step: the gradient of parameter 1 is [1] int64 but the parameter is [1] float32");
  EXPECT_EQ(a.to_vector(), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(opt.step_count(), 0);
  EXPECT_EQ(opt.state_dict().size(), 2u);  // "step" and "param_count" only
}

}  // namespace
}  // namespace cnn::optim
