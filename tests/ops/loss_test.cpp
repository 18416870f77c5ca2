#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using cnn::testing::error_of;

using testing::randn;
using testing::relative_error;

// Per-row cross-entropy against q = (1 - s) one_hot(t) + s / C, in double from the definition.
std::vector<double> cross_entropy_reference(const Tensor& logits,
                                            const std::vector<int64_t>& target, double s) {
  const int64_t N = logits.size(0), C = logits.size(1);
  const std::vector<float> z = logits.to_vector();
  std::vector<double> loss(N);
  for (int64_t n = 0; n < N; ++n) {
    double norm = 0.0;
    for (int64_t c = 0; c < C; ++c) norm += std::exp(static_cast<double>(z[n * C + c]));
    for (int64_t c = 0; c < C; ++c) {
      const double q = (c == target[n] ? 1.0 - s : 0.0) + s / static_cast<double>(C);
      loss[n] -= q * (z[n * C + c] - std::log(norm));
    }
  }
  return loss;
}

TEST(CrossEntropy, MatchesTheDefinitionForEveryReduction) {
  const Tensor logits = randn({5, 7}, 1, 2.0f);
  const std::vector<int64_t> t = {0, 6, 3, 3, 1};
  const Tensor target = Tensor::from_data_i64({5}, t);
  for (float s : {0.0f, 0.1f, 1.0f}) {
    SCOPED_TRACE(s);
    const std::vector<double> expected = cross_entropy_reference(logits, t, s);
    double total = 0.0;
    for (double v : expected) total += v;
    const std::vector<float> none =
        cross_entropy(logits, target, {.label_smoothing = s, .reduction = Reduction::none})
            .to_vector();
    ASSERT_EQ(none.size(), 5u);
    for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(none[i], expected[i], 1e-6 * std::abs(expected[i]));
    EXPECT_NEAR(
        cross_entropy(logits, target, {.label_smoothing = s, .reduction = Reduction::sum}).item(),
        total, 1e-6 * total);
    EXPECT_NEAR(cross_entropy(logits, target, {.label_smoothing = s}).item(), total / 5,
                1e-6 * total / 5);
  }
}

TEST(CrossEntropy, EqualsNllOfLogSoftmaxAndIsStable) {
  const Tensor logits = randn({4, 3}, 2);
  const Tensor target = Tensor::from_data_i64({4}, {2, 0, 1, 2});
  EXPECT_LE(relative_error(cross_entropy(logits, target), nll_loss(log_softmax(logits), target)),
            1e-6);
  // Logits far apart: the loss of the winning class is ~0, the others ~ the gap, all finite.
  const Tensor large = Tensor::from_data({2, 2}, {1000.0f, -1000.0f, 1000.0f, -1000.0f});
  const Tensor two = Tensor::from_data_i64({2}, {0, 1});
  EXPECT_EQ(cross_entropy(large, two, {.reduction = Reduction::none}).to_vector(),
            (std::vector<float>{0, 2000}));
}

TEST(CrossEntropy, Gradcheck) {
  const Tensor logits = randn({5, 4}, 3, 1.5f).requires_grad_();
  const Tensor target = Tensor::from_data_i64({5}, {3, 0, 1, 1, 2});
  for (float s : {0.0f, 0.1f}) {
    for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
      SCOPED_TRACE(std::to_string(s) + " reduction " + std::to_string(static_cast<int>(r)));
      auto result = gradcheck(
          [&](const std::vector<Tensor>& in) {
            return cross_entropy(in[0], target, {.label_smoothing = s, .reduction = r});
          },
          {logits});
      EXPECT_TRUE(result.ok) << result.report;
    }
  }
}

TEST(NllLoss, ValuesAndGradcheck) {
  const Tensor log_probs = Tensor::from_data({2, 3}, {-1.0f, -2.0f, -3.0f, -0.5f, -1.5f, -2.5f});
  const Tensor target = Tensor::from_data_i64({2}, {2, 0});
  EXPECT_EQ(nll_loss(log_probs, target, Reduction::none).to_vector(),
            (std::vector<float>{3.0f, 0.5f}));
  EXPECT_FLOAT_EQ(nll_loss(log_probs, target, Reduction::sum).item(), 3.5f);
  EXPECT_FLOAT_EQ(nll_loss(log_probs, target).item(), 1.75f);
  const Tensor x = randn({4, 5}, 4).requires_grad_();
  const Tensor t = Tensor::from_data_i64({4}, {4, 0, 2, 2});
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    auto result =
        gradcheck([&](const std::vector<Tensor>& in) { return nll_loss(in[0], t, r); }, {x});
    EXPECT_TRUE(result.ok) << result.report;
  }
}

TEST(MseLoss, ValuesAndGradcheck) {
  const Tensor a = Tensor::from_data({2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_data({2, 2}, {1, 0, 4, 1});
  EXPECT_EQ(mse_loss(a, b, Reduction::none).to_vector(), (std::vector<float>{0, 4, 1, 9}));
  EXPECT_FLOAT_EQ(mse_loss(a, b, Reduction::sum).item(), 14.0f);
  EXPECT_FLOAT_EQ(mse_loss(a, b).item(), 3.5f);
  const Tensor x = randn({3, 2, 5}, 5).requires_grad_(), y = randn({3, 2, 5}, 6).requires_grad_();
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    auto result =
        gradcheck([&](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], r); }, {x, y});
    EXPECT_TRUE(result.ok) << result.report;
  }
}

TEST(Loss, ErrorsNameTheArgumentAndShapes) {
  const Tensor logits = Tensor::zeros({3, 4});
  EXPECT_EQ(
      error_of([&] {
        cross_entropy(logits, Tensor::from_data_i64({3}, {0, 5, 1}));
      }),
      "cross_entropy: target[1] = 5 is not a class index in [0, 4) for logits of shape [3, 4]");
  EXPECT_EQ(
      error_of([&] {
        nll_loss(logits, Tensor::from_data_i64({3}, {0, 1, -1}));
      }),
      "nll_loss: target[2] = -1 is not a class index in [0, 4) for log_probs of shape [3, 4]");
  EXPECT_EQ(error_of([&] {
              cross_entropy(logits, Tensor::from_data_i64({2}, {0, 1}));
            }),
            "cross_entropy: argument 'target' must have shape [3] to match logits of shape [3, 4], "
            "got shape [2]");
  EXPECT_EQ(
      error_of([&] { cross_entropy(logits, Tensor::zeros({3})); }),
      "cross_entropy: argument 'target' must be int64 class indices, got float32 of shape [3]");
  EXPECT_EQ(error_of([&] { cross_entropy(Tensor::zeros({4}), Tensor::from_data_i64({1}, {0})); }),
            "cross_entropy: argument 'logits' must have rank 2 [batch, classes], got shape [4]");
  EXPECT_EQ(error_of([&] { cross_entropy(logits, Tensor()); }),
            "cross_entropy: argument 'target' is an undefined tensor");
  EXPECT_EQ(
      error_of([&] {
        cross_entropy(logits, Tensor::from_data_i64({3}, {0, 1, 2}), {.label_smoothing = 1.5f});
      }),
      "cross_entropy: option 'label_smoothing' must be in [0, 1], got 1.5");
  EXPECT_EQ(
      error_of([&] {
        mse_loss(Tensor::zeros({2, 3}), Tensor::zeros({3, 2}));
      }),
      "mse_loss: arguments 'input' and 'target' must have the same shape, got [2, 3] and [3, 2]");
  EXPECT_EQ(
      error_of([&] {
        mse_loss(Tensor::zeros({2, 3}), Tensor::zeros({3}));
      }),
      "mse_loss: arguments 'input' and 'target' must have the same shape, got [2, 3] and [3]");
}

}  // namespace
}  // namespace cnn
