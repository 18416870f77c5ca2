// Hypercolumns and fully-convolutional evaluation, the lecture's dense-prediction ideas.
#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "cnn/models/dense_prediction.h"
#include "cnn/models/resnet_cifar.h"
#include "support/tensor_testing.h"

namespace cnn::models {
namespace {

using cnn::testing::error_of;
using cnn::testing::randn;

TEST(Hypercolumn, FollowsTheLectureIndexMap) {
  // L0 on the 5x4 grid itself, L1 on a 2x3 grid, L2 a vector: pixel (x, y) takes
  // L1[floor(x * 2 / 5), floor(y * 3 / 4)] and the whole of L2.
  const Tensor l0 = randn({2, 5, 4, 3}, 1), l1 = randn({2, 2, 3, 2}, 2), l2 = randn({2, 4}, 3);
  const Tensor h = hypercolumn({l0, l1, l2}, {5, 4});
  ASSERT_EQ(h.shape(), (Shape{2, 5, 4, 3 + 2 + 4}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t x = 0; x < 5; ++x)
      for (int64_t y = 0; y < 4; ++y) {
        for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(h.at({b, x, y, j}), l0.at({b, x, y, j}));
        for (int64_t j = 0; j < 2; ++j)
          EXPECT_EQ(h.at({b, x, y, 3 + j}), l1.at({b, x * 2 / 5, y * 3 / 4, j}));
        for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(h.at({b, x, y, 5 + j}), l2.at({b, j}));
      }
}

TEST(Hypercolumn, IsDifferentiable) {
  const Tensor l1 = randn({1, 3, 2, 2}, 4).requires_grad_(), l2 = randn({1, 3}, 5).requires_grad_();
  const auto r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return hypercolumn(in, {7, 5});
      },
      {l1, l2});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Hypercolumn, RejectsBadLayers) {
  EXPECT_EQ(error_of([] { hypercolumn({}, {2, 2}); }), "hypercolumn: no layers given");
  EXPECT_NE(error_of([] {
              hypercolumn({Tensor::zeros({2, 3, 3})}, {2, 2});
            }).find("got shape [2, 3, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              hypercolumn({Tensor::zeros({2, 3}), Tensor::zeros({1, 3})}, {2, 2});
            }).find("layer 1 has batch 1 but layer 0 has 2"),
            std::string::npos);
}

TEST(Hypercolumn, FromAModelsLayers) {
  Generator gen(6);
  ResNetCifar net({.depth = 8, .classes = 10, .in_channels = 1}, gen);
  net.eval();
  const Tensor x = randn({2, 16, 16, 1}, 7);
  const std::vector<Tensor> acts =
      collect_activations(net, x, {"layer1", "layer2", "layer3.0.bn2", "fc"});
  EXPECT_EQ(acts[0].shape(), (Shape{2, 16, 16, 16}));
  EXPECT_EQ(acts[1].shape(), (Shape{2, 8, 8, 32}));
  EXPECT_EQ(acts[2].shape(), (Shape{2, 4, 4, 64}));
  EXPECT_EQ(acts[3].shape(), (Shape{2, 10}));
  EXPECT_TRUE(cnn::testing::bit_identical(acts[3], net(x)));
  EXPECT_EQ(hypercolumn(acts, {16, 16}).shape(), (Shape{2, 16, 16, 16 + 32 + 64 + 10}));
  EXPECT_NE(error_of([&] { collect_activations(net, x, {"layer9"}); }).find("layer9"),
            std::string::npos);
}

TEST(FullyConvolutional, ScoreMapAveragesToTheLogits) {
  Generator gen(8);
  ResNetCifar net({.depth = 8, .classes = 10, .in_channels = 1}, gen);
  net.eval();
  NoGradGuard no_grad;
  const Tensor x = randn({2, 28, 28, 1}, 9);
  const Tensor map = net.class_score_map(x);
  EXPECT_EQ(map.shape(), (Shape{2, 7, 7, 10}));
  EXPECT_LT(cnn::testing::relative_error(mean(map, {1, 2}), net(x)), 1e-5);
  // A larger image gives a larger map, one score vector per 4x4 block.
  EXPECT_EQ(net.class_score_map(randn({1, 64, 96, 1}, 10)).shape(), (Shape{1, 16, 24, 10}));
}

TEST(FullyConvolutional, SlidingWindowsMatchCroppedForwards) {
  Generator gen(11);
  ResNetCifar net({.depth = 8, .classes = 3, .in_channels = 1}, gen);
  net.eval();
  const Tensor image = randn({1, 20, 24, 1}, 12);
  const Tensor scores = sliding_window_scores(net, image, {16, 16}, {4, 4}, 5);
  ASSERT_EQ(scores.shape(), (Shape{1, 2, 3, 3}));
  NoGradGuard no_grad;
  const Tensor crop = image.slice(1, 4, 20).slice(2, 8, 24);  // row 1, column 2
  const Tensor direct = net(crop.contiguous());
  for (int64_t k = 0; k < 3; ++k) EXPECT_NEAR(scores.at({0, 1, 2, k}), direct.at({0, k}), 1e-5);
  EXPECT_NE(error_of([&] {
              sliding_window_scores(net, image, {32, 8}, {1, 1});
            }).find("larger than the images"),
            std::string::npos);
}

}  // namespace
}  // namespace cnn::models
