#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::randn;

TEST(Autograd, ChainAndAccumulation) {
  Tensor x = Tensor::from_data({3}, {1, 2, 3}).requires_grad_();
  // y = sum(x*x + 3x): dy/dx = 2x + 3; x is used twice, so gradients must sum.
  Tensor y = sum(add(mul(x, x), x * 3.0f));
  y.backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{5, 7, 9}));
  // A second backward accumulates into .grad().
  sum(x).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{6, 8, 10}));
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = randn({4}, 1).requires_grad_();
  {
    NoGradGuard guard;
    Tensor y = x * 2.0f;
    EXPECT_FALSE(y.requires_grad());
  }
  EXPECT_TRUE((x * 2.0f).requires_grad());
}

TEST(Autograd, GraphIsReleasedAfterBackward) {
  Tensor x = randn({4}, 2).requires_grad_();
  Tensor y = sum(mul(x, x));
  y.backward();
  try {
    y.backward();
    FAIL() << "second backward should fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
  Tensor z = sum(mul(x, x));
  z.backward({}, true);
  z.backward();  // allowed: the graph was retained
}

TEST(Autograd, BroadcastGradientsSumBack) {
  Tensor x = randn({2, 3, 3, 4}, 3).requires_grad_();
  Tensor b = randn({4}, 4).requires_grad_();
  auto r = gradcheck([](const std::vector<Tensor>& in) { return mul(add(in[0], in[1]), in[1]); },
                     {x, b});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Autograd, ViewsAreDifferentiable) {
  Tensor x = randn({2, 3, 4}, 5).requires_grad_();
  auto r = gradcheck(
      [](const std::vector<Tensor>& in) {
        Tensor v = in[0].permute({2, 0, 1}).slice(0, 1, 4, 2).reshape({-1});
        return mul(v, v);
      },
      {x});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Autograd, ElementwiseAndReductions) {
  Tensor a = randn({3, 5}, 6).requires_grad_();
  Tensor b = affine(randn({5}, 7), 0.1f, 2.0f).requires_grad_();
  for (auto f : std::vector<GradcheckFn>{
           [](const std::vector<Tensor>& in) { return sub(in[0], in[1]); },
           [](const std::vector<Tensor>& in) { return div(in[0], in[1]); },
           [](const std::vector<Tensor>& in) { return exp(in[0]) + log(in[1]); },
           [](const std::vector<Tensor>& in) { return mean(square(in[0]), {0}, true) * in[1]; },
           [](const std::vector<Tensor>& in) { return sum(in[0], {1}) + mean(in[1]); },
       }) {
    auto r = gradcheck(f, {a, b});
    EXPECT_TRUE(r.ok) << r.report;
  }
}

TEST(Autograd, GradcheckDetectsAWrongGradient) {
  // A deliberately wrong backward must be caught: the check itself can fail.
  Tensor x = randn({5}, 8).requires_grad_();
  auto wrong = [](const std::vector<Tensor>& in) {
    Tensor out = in[0].detach().clone();
    autograd::record("wrong", {in[0]}, {out}, [](const autograd::TensorList& g) {
      return autograd::TensorList{g[0] * 1.5f};
    });
    return out;
  };
  EXPECT_FALSE(gradcheck(wrong, {x}).ok);
}

TEST(Autograd, BroadcastErrorNamesShapes) {
  try {
    add(Tensor::zeros({2, 3}), Tensor::zeros({4}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "add: shapes [2, 3] and [4] do not broadcast (dimension 1: 3 vs 4)");
  }
}

}  // namespace
}  // namespace cnn
