// Export, re-import, train: cnn's own ResNet-18, exported with its batch norms kept and imported
// again, follows the original step for step under the trainer's optimizer on Fashion-MNIST, so
// an imported model trains as the model it came from.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cnn/cnn.h"
#include "cnn/models/registry.h"
#include "cnn/onnx/export.h"
#include "cnn/onnx/onnx.h"

namespace cnn::onnx {
namespace {

namespace fs = std::filesystem;

TEST(OnnxRoundTripTraining, ImportedResNet18FollowsTheOriginalFor20Steps) {
  constexpr int64_t kBatch = 32, kSteps = 20;
  const std::string file =
      (fs::temp_directory_path() / ("cnn_rt_" + std::to_string(::getpid()) + ".onnx")).string();
  Generator gen(7);
  auto original = models::create("resnet18", {.classes = 10, .in_channels = 1}, gen);
  save(*original, {kBatch, 28, 28, 1}, file);  // batch norm kept, symbolic batch
  auto imported = load(file);
  fs::remove(file);
  ASSERT_EQ(imported->parameter_count(), original->parameter_count());

  // the first 640 test images, scaled to [0, 1] and normalized with Fashion-MNIST's statistics
  const data::IdxArray images =
      data::read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
  const data::IdxArray labels =
      data::read_idx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
  const Tensor x_all =
      (data::idx_images_to_tensor(images, "images").slice(0, 0, kBatch * kSteps) - 0.286f) / 0.353f;
  const Tensor y_all =
      data::idx_labels_to_tensor(labels, "labels").slice(0, 0, kBatch * kSteps).contiguous();

  // the trainer's optimizer (src/train/run_setup.cpp) at a constant rate
  const optim::SGDOptions sgd{
      .lr = 0.05f, .momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = true};
  optim::SGD opt_a(original->parameters(), sgd), opt_b(imported->parameters(), sgd);
  original->train();
  imported->train();
  double worst = 0;
  for (int64_t step = 0; step < kSteps; ++step) {
    const Tensor x = x_all.slice(0, step * kBatch, (step + 1) * kBatch).contiguous();
    const Tensor y = y_all.slice(0, step * kBatch, (step + 1) * kBatch).contiguous();
    opt_a.zero_grad();
    opt_b.zero_grad();
    Tensor loss_a = cross_entropy((*original)(x), y), loss_b = cross_entropy((*imported)(x), y);
    loss_a.backward();
    loss_b.backward();
    opt_a.step();
    opt_b.step();
    const double a = loss_a.item(), b = loss_b.item();
    worst = std::max(worst, std::abs(a - b) / std::abs(a));
    EXPECT_LT(std::abs(a - b), 1e-4 * std::abs(a))
        << "step " << step << ": " << a << " against " << b;
  }
  std::printf("largest relative loss difference over %lld steps: %.3g\n",
              static_cast<long long>(kSteps), worst);
}

}  // namespace
}  // namespace cnn::onnx
