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

// Per-channel mean and biased variance of x [..., C], in double, straight from the definition.
void channel_moments(const Tensor& x, std::vector<double>& mean, std::vector<double>& var) {
  const std::vector<float> v = x.to_vector();
  const int64_t C = x.size(-1), n = x.numel() / C;
  mean.assign(C, 0.0);
  var.assign(C, 0.0);
  for (int64_t i = 0; i < x.numel(); ++i) mean[i % C] += v[i] / static_cast<double>(n);
  for (int64_t i = 0; i < x.numel(); ++i)
    var[i % C] += std::pow(v[i] - mean[i % C], 2) / static_cast<double>(n);
}

// y = (x - mu) / sqrt(var + eps) * gamma + beta, per channel, in double.
Tensor normalize_reference(const Tensor& x, const std::vector<double>& mu,
                           const std::vector<double>& var, const std::vector<float>& gamma,
                           const std::vector<float>& beta, double eps) {
  std::vector<float> v = x.to_vector();
  const int64_t C = x.size(-1);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = i % C;
    v[i] = static_cast<float>((v[i] - mu[c]) / std::sqrt(var[c] + eps) * gamma[c] + beta[c]);
  }
  return Tensor::from_data(x.shape(), v);
}

TEST(BatchNorm, TrainingUsesBatchMeanAndBiasedVariance) {
  const Tensor x = affine(randn({3, 5, 4, 6}, 1), 2.0f, 0.7f);
  const Tensor gamma = Tensor::from_data({6}, {0.5f, 1, 1.5f, 2, -1, 3});
  const Tensor beta = Tensor::from_data({6}, {0, 1, -1, 0.5f, 2, -3});
  std::vector<double> mu, var;
  channel_moments(x, mu, var);
  const Tensor y = batch_norm(x, {}, {}, gamma, beta, {.eps = 1e-3f});
  EXPECT_LE(
      relative_error(y, normalize_reference(x, mu, var, gamma.to_vector(), beta.to_vector(), 1e-3)),
      1e-6);
  // Without affine parameters the output has zero mean and variance var / (var + eps).
  const Tensor plain = batch_norm(x, {}, {}, {}, {});
  std::vector<double> plain_mu, plain_var;
  channel_moments(plain, plain_mu, plain_var);
  for (int64_t c = 0; c < 6; ++c) {
    EXPECT_NEAR(plain_mu[c], 0.0, 1e-6);
    EXPECT_NEAR(plain_var[c], var[c] / (var[c] + 1e-5), 1e-5);
  }
}

TEST(BatchNorm, TrainingUpdatesRunningStatisticsInPlaceWithUnbiasedVariance) {
  const Tensor x = affine(randn({2, 3, 3, 4}, 2), 1.5f, -0.4f);  // n = 18 values per channel
  Tensor running_mean = Tensor::from_data({4}, {0.1f, -0.2f, 0.3f, 0.0f});
  Tensor running_var = Tensor::from_data({4}, {1.0f, 0.5f, 2.0f, 1.5f});
  const std::vector<float> mean0 = running_mean.to_vector(), var0 = running_var.to_vector();
  std::vector<double> mu, var;
  channel_moments(x, mu, var);
  const double m = 0.25, n = 18;
  batch_norm(x, running_mean, running_var, {}, {}, {.momentum = 0.25f});
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_NEAR(running_mean.at({c}), (1 - m) * mean0[c] + m * mu[c], 1e-6);
    EXPECT_NEAR(running_var.at({c}), (1 - m) * var0[c] + m * var[c] * n / (n - 1), 1e-6);
  }
}

TEST(BatchNorm, RunningStatisticsMayBeStridedViews) {
  // A [4] view with stride 2 into a buffer: the update must land on the viewed elements only.
  Tensor buffer = Tensor::from_data({8}, {0, 100, 0, 100, 0, 100, 0, 100});
  Tensor buffer_var = Tensor::ones({8});
  const Tensor x = randn({5, 4}, 3);
  std::vector<double> mu, var;
  channel_moments(x, mu, var);
  batch_norm(x, buffer.slice(0, 0, 8, 2), buffer_var.slice(0, 1, 8, 2), {}, {}, {.momentum = 1.0f});
  for (int64_t c = 0; c < 4; ++c) {
    EXPECT_NEAR(buffer.at({2 * c}), mu[c], 1e-6);
    EXPECT_EQ(buffer.at({2 * c + 1}), 100.0f);
    EXPECT_NEAR(buffer_var.at({2 * c + 1}), var[c] * 5.0 / 4.0, 1e-6);
    EXPECT_EQ(buffer_var.at({2 * c}), 1.0f);
  }
}

TEST(BatchNorm, EvaluationUsesRunningStatisticsAndLeavesThemAlone) {
  const Tensor x = randn({2, 3, 5, 3}, 4);
  Tensor running_mean = Tensor::from_data({3}, {0.5f, -1.0f, 0.25f});
  Tensor running_var = Tensor::from_data({3}, {2.0f, 0.5f, 1.0f});
  const Tensor gamma = Tensor::from_data({3}, {1.5f, 0.5f, -2.0f});
  const Tensor beta = Tensor::from_data({3}, {0.1f, 0.2f, 0.3f});
  const Tensor y = batch_norm(x, running_mean, running_var, gamma, beta, {.training = false});
  const Tensor expected = normalize_reference(x, {0.5, -1.0, 0.25}, {2.0, 0.5, 1.0},
                                              gamma.to_vector(), beta.to_vector(), 1e-5);
  EXPECT_LE(relative_error(y, expected), 1e-6);
  EXPECT_EQ(running_mean.to_vector(), (std::vector<float>{0.5f, -1.0f, 0.25f}));
  EXPECT_EQ(running_var.to_vector(), (std::vector<float>{2.0f, 0.5f, 1.0f}));
  // A batch of one is fine in evaluation.
  EXPECT_NO_THROW(
      batch_norm(randn({1, 3}, 5), running_mean, running_var, {}, {}, {.training = false}));
}

TEST(BatchNorm, Gradcheck) {
  const Tensor running_mean = Tensor::from_data({3}, {0.2f, -0.1f, 0.4f});
  const Tensor running_var = Tensor::from_data({3}, {0.8f, 1.3f, 0.6f});
  const Tensor gamma = affine(randn({3}, 6), 0.3f, 1.0f).requires_grad_();
  const Tensor beta = randn({3}, 7).requires_grad_();
  for (const Shape& shape : {Shape{2, 3, 5, 3}, Shape{1, 4, 3, 3}, Shape{7, 3}}) {
    const Tensor x = affine(randn(shape, 8), 1.5f, 0.3f).requires_grad_();
    for (bool training : {true, false}) {
      SCOPED_TRACE(to_string(shape) + (training ? " training" : " evaluation"));
      const BatchNormOptions options{.training = training, .eps = 1e-3f};
      auto affine_bn = [&](const std::vector<Tensor>& in) {
        return batch_norm(in[0], running_mean.clone(), running_var.clone(), in[1], in[2], options);
      };
      auto plain_bn = [&](const std::vector<Tensor>& in) {
        return batch_norm(in[0], running_mean.clone(), running_var.clone(), {}, {}, options);
      };
      auto r = gradcheck(affine_bn, {x, gamma, beta});
      EXPECT_TRUE(r.ok) << r.report;
      r = gradcheck(plain_bn, {x});
      EXPECT_TRUE(r.ok) << r.report;
    }
  }
}

TEST(BatchNorm, SameBitsForAnyThreadCount) {
  // 8192 rows of 4 channels: several blocks of the per-channel sums.
  const Tensor x = randn({8, 32, 32, 4}, 9).requires_grad_();
  const Tensor g = randn({8, 32, 32, 4}, 10);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Tensor leaf = x.detach().clone().requires_grad_();
    Tensor y = batch_norm(leaf, {}, {}, {}, {});
    y.backward(g);
    return std::pair{y, leaf.grad()};
  };
  const int saved = num_threads();
  const auto [y1, dx1] = run(1);
  const auto [y2, dx2] = run(3);
  set_num_threads(saved);
  EXPECT_TRUE(testing::bit_identical(y1, y2));
  EXPECT_TRUE(testing::bit_identical(dx1, dx2));
}

TEST(BatchNorm, ErrorsNameTheArgumentAndShapes) {
  const Tensor x = randn({2, 3, 3, 4}, 11);
  const Tensor c4 = Tensor::ones({4});
  EXPECT_EQ(
      error_of([&] { batch_norm(x, {}, {}, Tensor::ones({3}), {}); }),
      "batch_norm: argument 'gamma' must have shape [4] to match the channels (last dimension) "
      "of x of shape [2, 3, 3, 4], got shape [3]");
  EXPECT_NE(error_of([&] {
              batch_norm(x, {}, {}, {}, Tensor::ones({1, 4}));
            }).find("'beta' must have shape [4]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              batch_norm(x, Tensor::ones({5}), c4, {}, {});
            }).find("'running_mean' must have shape [4]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              batch_norm(x, c4, Tensor::ones({2}), {}, {});
            }).find("'running_var' must have shape [4]"),
            std::string::npos);
  EXPECT_EQ(
      error_of([&] { batch_norm(x, c4.clone(), {}, {}, {}); }),
      "batch_norm: 'running_mean' and 'running_var' must both be defined or both undefined (got "
      "running_mean only)");
  EXPECT_EQ(
      error_of([&] { batch_norm(x, {}, {}, {}, {}, {.training = false}); }),
      "batch_norm: evaluation mode (training = false) needs running_mean and running_var, got "
      "undefined tensors for x of shape [2, 3, 3, 4]");
  EXPECT_EQ(error_of([&] {
              batch_norm(randn({1, 1, 1, 4}, 12), {}, {}, {}, {});
            }),
            "batch_norm: expected more than 1 value per channel when training, got x of shape [1, "
            "1, 1, 4]");
  EXPECT_EQ(error_of([&] { batch_norm(Tensor::ones({4}), {}, {}, {}, {}); }),
            "batch_norm: argument 'x' must have rank >= 2 [batch, ..., channels], got shape [4]");
  EXPECT_EQ(error_of([&] {
              batch_norm(Tensor::zeros({2, 4}, DType::i64), {}, {}, {}, {});
            }),
            "batch_norm: argument 'x' must be float32, got int64 of shape [2, 4]");
  EXPECT_NE(error_of([&] {
              batch_norm(x, {}, {}, {}, {}, {.eps = -1.0f});
            }).find("option 'eps' must be >= 0"),
            std::string::npos);
}

// LRN straight from PyTorch's definition, in double.
Tensor lrn_reference(const Tensor& x, const LocalResponseNormOptions& o) {
  const std::vector<float> v = x.to_vector();
  std::vector<float> out(v.size());
  const int64_t C = x.size(-1);
  for (int64_t r = 0; r < x.numel() / C; ++r)
    for (int64_t c = 0; c < C; ++c) {
      double sq = 0.0;
      for (int64_t j = c - o.size / 2; j <= c + (o.size - 1) / 2; ++j)
        if (j >= 0 && j < C) sq += std::pow(v[r * C + j], 2);
      const double scale = o.k + o.alpha * sq / static_cast<double>(o.size);
      out[r * C + c] = static_cast<float>(v[r * C + c] / std::pow(scale, o.beta));
    }
  return Tensor::from_data(x.shape(), out);
}

TEST(LocalResponseNorm, MatchesTheDefinition) {
  const Tensor x = randn({2, 3, 4, 7}, 13, 2.0f);
  for (const LocalResponseNormOptions& o :
       {LocalResponseNormOptions{.size = 5, .alpha = 1e-4f, .beta = 0.75f, .k = 2.0f},
        LocalResponseNormOptions{.size = 4, .alpha = 0.5f, .beta = 0.6f, .k = 1.0f},
        LocalResponseNormOptions{.size = 9, .alpha = 1.0f, .beta = 1.0f, .k = 0.5f},
        LocalResponseNormOptions{.size = 1, .alpha = 2.0f, .beta = 0.75f, .k = 1.0f}}) {
    SCOPED_TRACE(o.size);
    EXPECT_LE(relative_error(local_response_norm(x, o), lrn_reference(x, o)), 2e-6);
  }
}

TEST(LocalResponseNorm, Gradcheck) {
  // Large alpha so that the cross-channel term of the gradient is not negligible.
  const Tensor x = randn({2, 3, 2, 6}, 14).requires_grad_();
  for (const LocalResponseNormOptions& o :
       {LocalResponseNormOptions{.size = 3, .alpha = 0.5f, .beta = 0.75f, .k = 1.0f},
        LocalResponseNormOptions{.size = 4, .alpha = 1.0f, .beta = 0.5f, .k = 1.5f},
        LocalResponseNormOptions{.size = 8, .alpha = 2.0f, .beta = 1.0f, .k = 1.0f},
        LocalResponseNormOptions{.size = 5, .alpha = 1e-4f, .beta = 0.75f, .k = 2.0f}}) {
    SCOPED_TRACE(o.size);
    auto r = gradcheck([&](const std::vector<Tensor>& in) { return local_response_norm(in[0], o); },
                       {x});
    EXPECT_TRUE(r.ok) << r.report;
  }
}

TEST(LocalResponseNorm, Errors) {
  EXPECT_EQ(error_of([] {
              local_response_norm(Tensor::ones({2, 4}), {.size = 0});
            }),
            "local_response_norm: option 'size' must be >= 1, got 0 for x of shape [2, 4]");
  EXPECT_EQ(error_of([] { local_response_norm(Tensor::scalar(1.0f)); }),
            "local_response_norm: argument 'x' must have rank >= 1 [..., channels], got shape []");
}

}  // namespace
}  // namespace cnn
