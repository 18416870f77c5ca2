// Inference fusion (nn/fused.h) in the models that use it: in evaluation mode under a
// NoGradGuard each conv, batch norm, residual add and ReLU/ReLU6 runs as one fused convolution;
// with grad mode on (the parameters require grad) the modules run one by one, as before. The
// two outputs agree to rounding. The batch norms get random statistics and affine parameters,
// so that they are far from the identity. The torchvision comparisons with saved weights
// (torchvision_weights_test.cpp) run the fused path against PyTorch as well.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn::models {
namespace {

struct FusedModelCase {
  std::string name;
  Shape input;  // one batch, NHWC
};

// Random running statistics (var in [0.5, 1.5]) and affine parameters for every batch norm.
void randomize_batch_norms(nn::Module& m, Generator& gen) {
  for (const auto& child : m.children()) randomize_batch_norms(*child, gen);
  auto* bn = dynamic_cast<nn::BatchNorm2d*>(&m);
  if (bn == nullptr) return;
  for (Tensor t : {bn->running_mean(), bn->weight(), bn->bias()}) {  // handles: shared storage
    float* v = t.data();
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = 0.5f * gen.normal();
  }
  Tensor var = bn->running_var();
  for (int64_t i = 0; i < var.numel(); ++i) var.data()[i] = gen.uniform(0.5f, 1.5f);
}

class FusedInference : public ::testing::TestWithParam<FusedModelCase> {};

TEST_P(FusedInference, EqualsTheUnfusedModules) {
  const FusedModelCase& c = GetParam();
  Generator gen(7);
  auto model = create(c.name, {.classes = 10}, gen);
  randomize_batch_norms(*model, gen);
  model->eval();
  const Tensor x = testing::randn(c.input, 11);
  Tensor fused;
  {
    autograd::NoGradGuard no_grad;
    fused = (*model)(x);
  }
  const Tensor unfused = (*model)(x);  // grad mode on: the parameters require grad
  ASSERT_TRUE(unfused.requires_grad());
  // Some rounding differs (the batch norm meets the unrounded convolution sum), which shows
  // that the fused path ran; the outputs agree to 1e-4 of the largest logit, as the zoo's
  // comparisons with PyTorch do.
  EXPECT_FALSE(testing::bit_identical(fused, unfused));
  EXPECT_LT(testing::relative_error(fused, unfused), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Models, FusedInference,
                         ::testing::Values(FusedModelCase{"resnet18", {2, 48, 40, 3}},
                                           FusedModelCase{"resnet50", {1, 64, 64, 3}},
                                           FusedModelCase{"resnet20", {2, 16, 16, 3}},
                                           FusedModelCase{"mobilenet_v2", {2, 40, 32, 3}},
                                           FusedModelCase{"mnasnet0_5", {1, 64, 64, 3}}),
                         [](const ::testing::TestParamInfo<FusedModelCase>& p) { return p.param.name; });

// Counts the calls of convolutions and batch norms that a ForwardObserver is told of.
class ConvBnCounter final : public nn::ForwardObserver {
 public:
  void after_forward(const nn::Module& m, const Tensor&, const Tensor&) override {
    if (dynamic_cast<const nn::Conv2d*>(&m) != nullptr) ++convs;
    if (dynamic_cast<const nn::BatchNorm2d*>(&m) != nullptr) ++bns;
  }
  int convs = 0, bns = 0;
};

int count_modules(const nn::Module& m, const std::string& type) {
  int n = m.type() == type ? 1 : 0;
  for (const auto& child : m.children()) n += count_modules(*child, type);
  return n;
}

// While observed (summaries, collect_activations), inference does not fuse: every conv and
// batch norm is called through its module.
TEST(FusedInference, ObserversStillSeeEveryConvAndBatchNorm) {
  for (const std::string name : {"resnet18", "resnet20", "mobilenet_v2", "mnasnet0_5"}) {
    SCOPED_TRACE(name);
    Generator gen(3);
    auto model = create(name, {}, gen);
    model->eval();
    autograd::NoGradGuard no_grad;
    ConvBnCounter counter;
    {
      nn::ObserveForwards observe(counter);
      (*model)(testing::randn({1, 32, 32, 3}, 1));
    }
    EXPECT_EQ(counter.convs, count_modules(*model, "Conv2d"));
    EXPECT_EQ(counter.bns, count_modules(*model, "BatchNorm2d"));
    EXPECT_GT(counter.convs, 0);
  }
}

}  // namespace
}  // namespace cnn::models
