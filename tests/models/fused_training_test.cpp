// Training fusion in the CIFAR ResNets: in training each batch norm, its residual add and its
// ReLU run as one op (batch_norm_relu, via BatchNorm2d::forward_relu). While a ForwardObserver
// watches, the modules run one by one as before; both paths must give the same loss, the same
// gradients and the same running statistics, bit for bit, and the same parameters after SGD
// steps.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn::models {
namespace {

using testing::randn;

struct Seen : nn::ForwardObserver {
  int calls = 0;
  void after_forward(const nn::Module&, const Tensor&, const Tensor&) override { ++calls; }
};

bool same_bytes(const Tensor& a, const Tensor& b) {
  const std::vector<float> u = a.to_vector(), v = b.to_vector();
  return a.shape() == b.shape() && std::memcmp(u.data(), v.data(), u.size() * sizeof(float)) == 0;
}

// Two SGD steps (the trainer's optimizer) on one batch; then the model's state and its
// parameters' last gradients.
std::vector<Tensor> train_two_steps(const std::string& name, bool observed) {
  Generator gen(3);
  auto model = create(name, {.classes = 10, .in_channels = 1}, gen);
  model->train();
  const Tensor x = randn({4, 12, 12, 1}, 4);
  const Tensor y = Tensor::from_data_i64({4}, {1, 7, 3, 3});
  optim::SGD sgd(model->parameters(),
                 {.lr = 0.05f, .momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = true});
  Seen seen;
  std::vector<Tensor> out;
  for (int step = 0; step < 2; ++step) {
    sgd.zero_grad();
    Tensor loss;
    if (observed) {
      nn::ObserveForwards observe(seen);
      loss = cross_entropy((*model)(x), y);
    } else {
      loss = cross_entropy((*model)(x), y);
    }
    loss.backward();
    sgd.step();
    out.push_back(loss);
  }
  EXPECT_EQ(seen.calls > 0, observed);
  for (const auto& [key, t] : model->state_dict())
    if (t.dtype() == DType::f32) out.push_back(t);
  for (const Tensor& p : model->parameters()) out.push_back(p.grad());
  return out;
}

TEST(FusedTraining, ResNetCifarStepsEqualTheUnfusedModules) {
  for (const std::string name : {"resnet20", "plain20"}) {
    SCOPED_TRACE(name);
    const std::vector<Tensor> fused = train_two_steps(name, false);
    const std::vector<Tensor> unfused = train_two_steps(name, true);
    ASSERT_EQ(fused.size(), unfused.size());
    for (size_t i = 0; i < fused.size(); ++i) EXPECT_TRUE(same_bytes(fused[i], unfused[i])) << i;
  }
}

}  // namespace
}  // namespace cnn::models
