// Layer forward passes against the formulas written out as loops, BatchNorm's running
// statistics and counter, train/eval behaviour, and a small ResNet-18 end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cnn/nn/layers.h"
#include "cnn/ops/reduce.h"
#include "nn/resnet_like.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using cnn::testing::error_of;

using testing::bit_identical;
using testing::randn;
using testing::relative_error;

// float32 results against loops accumulated in double: sums of at most a few hundred terms.
constexpr double kTolerance = 1e-5;

// Sets a module's tensors by name through load_state_dict (non-strict: the rest stay).
void set_state(nn::Module& m, const std::vector<nn::NamedTensor>& values) {
  nn::StateDict state;
  for (const auto& [key, value] : values) state.insert(key, value);
  m.load_state_dict(state, /*strict=*/false);
}

TEST(Conv2dLayer, ForwardIsTheLectureFormula) {
  Generator gen(1);
  // Grouped, strided, padded, dilated, non-square: every option reaches the op.
  const int64_t N = 2, H = 7, W = 6, C = 4, O = 6, G = 2, KH = 3, KW = 2;
  nn::Conv2d conv(
      C, O,
      {.kernel = {KH, KW}, .stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}, .groups = G},
      gen);
  const Tensor x = randn({N, H, W, C}, 2);
  const Tensor y = conv(x);
  const int64_t OH = (H + 2 - (KH - 1) - 1) / 2 + 1, OW = (W - 2 * (KW - 1) - 1) / 1 + 1;
  ASSERT_EQ(y.shape(), (Shape{N, OH, OW, O}));

  // Stride (2, 1), dilation (1, 2), padding 1 on rows:
  // L'[b, x, y, j] = B[j] + sum over dx, dy and the input channels i of group(j) of
  //                  W[dx, dy, i, j] Padd(L)[b, 2x + dx, y + 2dy, i]
  const Tensor& w = conv.weight();
  const Tensor& b = conv.bias();
  std::vector<float> expected;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t j = 0; j < O; ++j) {
          const int64_t g = j / (O / G);
          double sum = b.at({j});
          for (int64_t dx = 0; dx < KH; ++dx)
            for (int64_t dy = 0; dy < KW; ++dy)
              for (int64_t i = 0; i < C / G; ++i) {
                const int64_t r = 2 * oh + dx - 1, c = ow + 2 * dy;
                if (r < 0 || r >= H || c < 0 || c >= W) continue;
                sum += w.at({dx, dy, i, j}) * x.at({n, r, c, g * (C / G) + i});
              }
          expected.push_back(static_cast<float>(sum));
        }
  EXPECT_LT(relative_error(y, Tensor::from_data(y.shape(), expected)), kTolerance);
}

TEST(Conv2dLayer, GradientsReachTheParameters) {
  Generator gen(3);
  nn::Conv2d conv(3, 5, {.kernel = 3, .padding = 1}, gen);
  sum(conv(randn({2, 4, 4, 3}, 4))).backward();
  ASSERT_TRUE(conv.weight().grad().defined());
  EXPECT_EQ(conv.weight().grad().shape(), conv.weight().shape());
  // d sum(y) / d B[j] counts the output positions: 2 images of 4 x 4.
  EXPECT_EQ(conv.bias().grad().to_vector(), std::vector<float>(5, 32.0f));
}

TEST(LinearLayer, ForwardIsWxPlusB) {
  Generator gen(5);
  nn::Linear layer(7, 3, gen);
  const Tensor x = randn({4, 7}, 6);
  std::vector<float> expected;
  for (int64_t n = 0; n < 4; ++n)
    for (int64_t j = 0; j < 3; ++j) {
      double sum = layer.bias().at({j});
      for (int64_t i = 0; i < 7; ++i) sum += layer.weight().at({j, i}) * x.at({n, i});
      expected.push_back(static_cast<float>(sum));
    }
  EXPECT_LT(relative_error(layer(x), Tensor::from_data({4, 3}, expected)), kTolerance);
  nn::Linear no_bias(7, 3, {.bias = false}, gen);
  EXPECT_EQ(no_bias(x).shape(), (Shape{4, 3}));
}

// Per-channel mean and variance (divisor n - correction) of x [N, H, W, C].
std::vector<double> channel_moment(const Tensor& x, int moment, int correction) {
  const int64_t C = x.size(3), n = x.numel() / C;
  const auto v = x.to_vector();
  std::vector<double> mean(C, 0.0), var(C, 0.0);
  for (int64_t k = 0; k < n; ++k)
    for (int64_t c = 0; c < C; ++c) mean[c] += v[k * C + c] / static_cast<double>(n);
  if (moment == 1) return mean;
  for (int64_t k = 0; k < n; ++k)
    for (int64_t c = 0; c < C; ++c) {
      const double d = v[k * C + c] - mean[c];
      var[c] += d * d / static_cast<double>(n - correction);
    }
  return var;
}

TEST(BatchNorm2dLayer, TrainingNormalizesAndUpdatesRunningStatistics) {
  nn::BatchNorm2d bn(3);
  set_state(bn, {{"weight", Tensor::from_data({3}, {1.0f, 2.0f, 0.5f})},
                 {"bias", Tensor::from_data({3}, {0.0f, -1.0f, 3.0f})}});
  const Tensor x = affine(randn({4, 5, 3, 3}, 7), 2.0f, 1.0f);
  const Tensor y = bn(x);
  // y = gamma * (x - mu) / sqrt(var + eps) + beta with the biased batch variance.
  const auto y_mean = channel_moment(y, 1, 0), y_var = channel_moment(y, 2, 0);
  const double gamma[3] = {1.0, 2.0, 0.5}, beta[3] = {0.0, -1.0, 3.0};
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(y_mean[c], beta[c], 1e-5);
    EXPECT_NEAR(y_var[c], gamma[c] * gamma[c], 1e-3 * gamma[c] * gamma[c]);
  }
  // running = 0.9 * running + 0.1 * batch statistic, with the unbiased variance.
  const auto mean = channel_moment(x, 1, 0), unbiased = channel_moment(x, 2, 1);
  for (int64_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(bn.running_mean().at({c}), 0.1 * mean[c], 1e-5);
    EXPECT_NEAR(bn.running_var().at({c}), 0.9 + 0.1 * unbiased[c], 1e-5);
  }
  EXPECT_EQ(bn.num_batches_tracked().to_vector_i64(), std::vector<int64_t>{1});
  bn(x);
  EXPECT_EQ(bn.num_batches_tracked().to_vector_i64(), std::vector<int64_t>{2});
}

TEST(BatchNorm2dLayer, ForwardReluEqualsForwardAddRelu) {
  const Tensor x = affine(randn({4, 5, 3, 3}, 8), 2.0f, 1.0f), r = randn({4, 5, 3, 3}, 9);
  for (bool training : {true, false}) {
    SCOPED_TRACE(training ? "training" : "evaluation");
    nn::BatchNorm2d fused(3), unfused(3);
    fused.train(training);
    unfused.train(training);
    const Tensor y1 = fused.forward_relu(x, r), y2 = relu(add(r, unfused(x)));
    EXPECT_TRUE(testing::bit_identical(y1, y2));
    EXPECT_TRUE(testing::bit_identical(fused.running_mean(), unfused.running_mean()));
    EXPECT_TRUE(testing::bit_identical(fused.running_var(), unfused.running_var()));
    EXPECT_EQ(fused.num_batches_tracked().to_vector_i64(),
              unfused.num_batches_tracked().to_vector_i64());
    EXPECT_TRUE(testing::bit_identical(fused.forward_relu(x), relu(unfused(x))));
  }
}

TEST(BatchNorm2dLayer, EvaluationUsesRunningStatisticsAndCountsNothing) {
  nn::BatchNorm2d bn(2, {.eps = 1e-3f});
  set_state(bn, {{"weight", Tensor::from_data({2}, {2.0f, 1.0f})},
                 {"bias", Tensor::from_data({2}, {0.5f, 0.0f})},
                 {"running_mean", Tensor::from_data({2}, {1.0f, -2.0f})},
                 {"running_var", Tensor::from_data({2}, {4.0f, 0.25f})}});
  bn.eval();
  const Tensor x = randn({2, 3, 3, 2}, 8);
  std::vector<float> expected;
  const auto v = x.to_vector();
  const double w[2] = {2.0, 1.0}, b[2] = {0.5, 0.0}, rm[2] = {1.0, -2.0}, rv[2] = {4.0, 0.25};
  for (size_t k = 0; k < v.size(); ++k) {
    const size_t c = k % 2;
    expected.push_back(static_cast<float>(w[c] * (v[k] - rm[c]) / std::sqrt(rv[c] + 1e-3) + b[c]));
  }
  EXPECT_LT(relative_error(bn(x), Tensor::from_data(x.shape(), expected)), kTolerance);
  EXPECT_EQ(bn.running_mean().to_vector(), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(bn.num_batches_tracked().to_vector_i64(), std::vector<int64_t>{0});
}

TEST(BatchNorm2dLayer, WithoutRunningStatisticsEvaluationUsesTheBatch) {
  nn::BatchNorm2d bn(2, {.affine = false, .track_running_stats = false});
  bn.eval();
  const auto mean = channel_moment(bn(affine(randn({3, 4, 4, 2}, 9), 3.0f, 5.0f)), 1, 0);
  EXPECT_NEAR(mean[0], 0.0, 1e-5);
  EXPECT_NEAR(mean[1], 0.0, 1e-5);
}

TEST(BatchNorm2dLayer, RejectsInputsOfTheWrongShape) {
  nn::BatchNorm2d bn(3);
  const Tensor five_channels = Tensor::zeros({2, 4, 4, 5});
  EXPECT_EQ(error_of([&] { bn(five_channels); }),
            "BatchNorm2d(3, eps=1e-05, momentum=0.1): expected x [batch, rows, cols, 3], got "
            "shape [2, 4, 4, 5]");
  EXPECT_EQ(bn.num_batches_tracked().to_vector_i64(), std::vector<int64_t>{0});
}

TEST(PoolLayers, WindowsOverEachChannel) {
  // One image 4 x 4 with two channels: channel 0 counts 0..15, channel 1 is its negative.
  std::vector<float> values;
  for (int k = 0; k < 16; ++k) {
    values.push_back(static_cast<float>(k));
    values.push_back(-static_cast<float>(k));
  }
  const Tensor x = Tensor::from_data({1, 4, 4, 2}, values);
  EXPECT_EQ(nn::MaxPool2d({.kernel = 2})(x).to_vector(),
            (std::vector<float>{5, 0, 7, -2, 13, -8, 15, -10}));
  EXPECT_EQ(nn::AvgPool2d({.kernel = 2})(x).to_vector(),
            (std::vector<float>{2.5f, -2.5f, 4.5f, -4.5f, 10.5f, -10.5f, 12.5f, -12.5f}));
  EXPECT_EQ(nn::AdaptiveAvgPool2d(1)(x).to_vector(), (std::vector<float>{7.5f, -7.5f}));
  EXPECT_EQ(nn::MaxPool2d({.kernel = 3, .stride = 2, .padding = 1})(x).shape(),
            (Shape{1, 2, 2, 2}));
}

TEST(ActivationLayers, MatchTheirFormulas) {
  const std::vector<float> v = {-7.0f, -1.5f, -0.25f, 0.5f, 2.0f, 6.5f};
  const Tensor x = Tensor::from_data({2, 3}, v);
  auto each = [&](auto f) {
    std::vector<float> out;
    for (float e : v) out.push_back(static_cast<float>(f(static_cast<double>(e))));
    return Tensor::from_data({2, 3}, out);
  };
  EXPECT_LT(relative_error(nn::ReLU()(x), each([](double e) { return std::max(e, 0.0); })),
            kTolerance);
  EXPECT_LT(relative_error(nn::ReLU6()(x),
                           each([](double e) { return std::min(std::max(e, 0.0), 6.0); })),
            kTolerance);
  EXPECT_LT(
      relative_error(nn::LeakyReLU(0.2f)(x), each([](double e) { return e > 0 ? e : 0.2 * e; })),
      kTolerance);
  EXPECT_LT(relative_error(nn::Sigmoid()(x), each([](double e) { return 1 / (1 + std::exp(-e)); })),
            kTolerance);
  EXPECT_LT(relative_error(nn::Tanh()(x), each([](double e) { return std::tanh(e); })), kTolerance);
  // Softmax over the last dimension: rows {-7, -1.5, -0.25} and {0.5, 2, 6.5}.
  std::vector<float> soft, log_soft;
  for (int r = 0; r < 2; ++r) {
    double z = 0;
    for (int k = 0; k < 3; ++k) z += std::exp(static_cast<double>(v[r * 3 + k]));
    for (int k = 0; k < 3; ++k) {
      soft.push_back(static_cast<float>(std::exp(static_cast<double>(v[r * 3 + k])) / z));
      log_soft.push_back(static_cast<float>(v[r * 3 + k] - std::log(z)));
    }
  }
  EXPECT_LT(relative_error(nn::Softmax()(x), Tensor::from_data({2, 3}, soft)), kTolerance);
  EXPECT_LT(relative_error(nn::LogSoftmax()(x), Tensor::from_data({2, 3}, log_soft)), kTolerance);
  // dim 0: columns sum to one.
  EXPECT_LT(relative_error(sum(nn::Softmax(0)(x), {0}), Tensor::ones({3})), kTolerance);
}

TEST(DropoutLayer, MasksInTrainingAndIsTheIdentityInEvaluation) {
  Generator gen(10);
  nn::Dropout drop(0.25f, gen);
  const Tensor x = Tensor::full({10000}, 3.0f);
  const auto y = drop(x).to_vector();
  int64_t zeros = 0;
  for (float e : y) {
    if (e == 0.0f) {
      ++zeros;
    } else {
      EXPECT_FLOAT_EQ(e, 4.0f);  // 3 / (1 - 0.25)
    }
  }
  EXPECT_NEAR(static_cast<double>(zeros) / 10000.0, 0.25, 0.02);  // 4.6 standard errors
  drop.eval();
  EXPECT_TRUE(bit_identical(drop(x), x));
  // Same seed, same masks.
  Generator g1(11), g2(11);
  nn::Dropout d1(0.5f, g1), d2(0.5f, g2);
  EXPECT_TRUE(bit_identical(d1(x), d2(x)));
}

TEST(LocalResponseNormLayer, MatchesTheFormulaAcrossChannels) {
  const LocalResponseNormOptions o{.size = 3, .alpha = 0.5f, .beta = 0.75f, .k = 2.0f};
  const Tensor x = randn({1, 2, 1, 5}, 12);
  std::vector<float> expected;
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t c = 0; c < 5; ++c) {
      double ss = 0;  // window c - 1 .. c + 1, zero beyond the edges
      for (int64_t d = c - 1; d <= c + 1; ++d) {
        if (d >= 0 && d < 5) ss += static_cast<double>(x.at({0, r, 0, d})) * x.at({0, r, 0, d});
      }
      expected.push_back(
          static_cast<float>(x.at({0, r, 0, c}) / std::pow(2.0 + 0.5 / 3 * ss, 0.75)));
    }
  EXPECT_LT(relative_error(nn::LocalResponseNorm(o)(x), Tensor::from_data(x.shape(), expected)),
            kTolerance);
}

TEST(ContainerLayers, SequentialComposesAndFlattenKeepsNhwcOrder) {
  Generator gen(13);
  auto conv = std::make_shared<nn::Conv2d>(2, 3, nn::Conv2dOptions{.kernel = 1}, gen);
  auto relu = std::make_shared<nn::ReLU>();
  nn::Sequential seq(conv, relu, std::make_shared<nn::Flatten>());
  const Tensor x = randn({2, 3, 4, 2}, 14);
  const Tensor y = seq(x);
  const Tensor manual = (*relu)((*conv)(x));
  ASSERT_EQ(y.shape(), (Shape{2, 36}));
  // y[n, (h * W + w) * C + c] = manual[n, h, w, c]
  EXPECT_EQ(y.at({1, (2 * 4 + 3) * 3 + 1}), manual.at({1, 2, 3, 1}));
  EXPECT_TRUE(bit_identical(y, manual.reshape({2, 36})));
  EXPECT_TRUE(bit_identical(nn::Sequential()(x), x));
  EXPECT_TRUE(bit_identical(nn::Identity()(x), x));
}

TEST(SmallResNet, TrainsForwardAndBackwardAndReloadsExactly) {
  Generator gen(15);
  testing::ResNet18Like model(4, 10, gen);
  const Tensor x = randn({2, 32, 32, 3}, 16);
  const Tensor logits = model(x);
  ASSERT_EQ(logits.shape(), (Shape{2, 10}));
  sum(logits).backward();
  for (const auto& [name, p] : model.named_parameters()) {
    EXPECT_TRUE(p.grad().defined()) << name;
  }
  for (const auto& [name, b] : model.named_buffers()) {
    if (b.dtype() == DType::i64) {
      EXPECT_EQ(b.to_vector_i64(), std::vector<int64_t>{1}) << name;
    }
  }

  model.eval();
  const Tensor first = model(x);
  EXPECT_TRUE(bit_identical(model(x), first));  // evaluation changes no state
  Generator other(99);
  testing::ResNet18Like copy(4, 10, other);
  copy.load_state_dict(model.state_dict());
  copy.eval();
  EXPECT_TRUE(bit_identical(copy(x), first));
}

}  // namespace
}  // namespace cnn
