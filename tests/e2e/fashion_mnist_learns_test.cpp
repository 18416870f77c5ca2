// A small CNN built from the library's modules learns Fashion-MNIST: on the first 2,000
// training images, a few epochs of SGD bring the training loss well below its starting value
// (about ln 10 = 2.30 for ten classes) and lift accuracy far above chance.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <numeric>

#include "cnn/cnn.h"

namespace cnn {
namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

std::shared_ptr<nn::Sequential> small_cnn(Generator& gen) {
  using namespace nn;
  return std::make_shared<Sequential>(
      std::make_shared<Conv2d>(1, 8, nn::Conv2dOptions{.kernel = 3, .padding = 1}, gen),  // 28x28x8
      std::make_shared<BatchNorm2d>(8), std::make_shared<ReLU>(),
      std::make_shared<MaxPool2d>(cnn::MaxPool2dOptions{.kernel = 2}),  // 14x14x8
      std::make_shared<Conv2d>(8, 16, nn::Conv2dOptions{.kernel = 3, .padding = 1},
                               gen),  // 14x14x16
      std::make_shared<BatchNorm2d>(16), std::make_shared<ReLU>(),
      std::make_shared<MaxPool2d>(cnn::MaxPool2dOptions{.kernel = 2}),  // 7x7x16
      std::make_shared<Flatten>(), std::make_shared<Linear>(7 * 7 * 16, 10, gen));
}

TEST(EndToEnd, SmallCnnLearnsFashionMnist) {
  if (!std::filesystem::exists(kData)) GTEST_FAIL() << kData << " is missing: run scripts/setup.sh";
  const auto data = data::fashion_mnist(kData);
  constexpr int64_t kImages = 2000, kBatch = 50;
  const Tensor images =
      affine(data.train.images.slice(0, 0, kImages), 1.0f / 0.353f, -0.286f / 0.353f);
  const std::vector<int64_t> labels =
      data.train.labels.slice(0, 0, kImages).contiguous().to_vector_i64();

  Generator gen(7);
  auto model = small_cnn(gen);
  optim::SGD opt(model->parameters(), {.lr = 0.05f, .momentum = 0.9f});
  std::vector<int64_t> order(kImages);
  std::iota(order.begin(), order.end(), 0);

  std::vector<double> epoch_loss;
  double first_batches = 0.0;
  for (int epoch = 0; epoch < 4; ++epoch) {
    for (int64_t i = kImages; i > 1; --i)
      std::swap(order[static_cast<size_t>(i - 1)], order[gen.below(static_cast<uint64_t>(i))]);
    double total = 0.0;
    for (int64_t b = 0; b < kImages; b += kBatch) {
      std::vector<Tensor> xs;
      std::vector<int64_t> ys;
      for (int64_t k = b; k < b + kBatch; ++k) {
        xs.push_back(
            images.slice(0, order[static_cast<size_t>(k)], order[static_cast<size_t>(k)] + 1));
        ys.push_back(labels[static_cast<size_t>(order[static_cast<size_t>(k)])]);
      }
      const Tensor loss =
          cross_entropy(model->forward(concat(xs, 0)), Tensor::from_data_i64({kBatch}, ys));
      opt.zero_grad();
      loss.backward();
      opt.step();
      total += loss.item();
      if (epoch == 0 && b < 5 * kBatch) first_batches += loss.item() / 5.0;
    }
    epoch_loss.push_back(total / (kImages / kBatch));
  }
  // Starting loss is near ln(10); after four epochs it must be a fraction of that.
  EXPECT_GT(first_batches, 1.8);
  EXPECT_LT(epoch_loss.back(), 0.6) << "epoch losses: " << epoch_loss[0] << ", " << epoch_loss[1]
                                    << ", " << epoch_loss[2] << ", " << epoch_loss[3];
  EXPECT_LT(epoch_loss.back(), 0.35 * first_batches);

  // And it generalizes: accuracy on 1,000 test images well above the 10% of chance.
  model->eval();
  NoGradGuard no_grad;
  const Tensor test_x = affine(data.test.images.slice(0, 0, 1000), 1.0f / 0.353f, -0.286f / 0.353f);
  const Tensor logits = model->forward(test_x);
  const std::vector<int64_t> truth =
      data.test.labels.slice(0, 0, 1000).contiguous().to_vector_i64();
  int correct = 0;
  for (int64_t i = 0; i < 1000; ++i) {
    int64_t best = 0;
    for (int64_t c = 1; c < 10; ++c)
      if (logits.at({i, c}) > logits.at({i, best})) best = c;
    correct += best == truth[static_cast<size_t>(i)];
  }
  std::printf("first batches %.3f, epoch losses %.3f %.3f %.3f %.3f, test accuracy %.1f%%\n",
              first_batches, epoch_loss[0], epoch_loss[1], epoch_loss[2], epoch_loss[3],
              correct / 10.0);
  EXPECT_GT(correct, 700) << "test accuracy " << correct / 10.0 << "%";
}

}  // namespace
}  // namespace cnn
