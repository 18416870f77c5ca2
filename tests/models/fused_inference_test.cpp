// Inference fusion (nn/fused.h) in the models that use it: in evaluation mode under a
// NoGradGuard each conv, batch norm, residual add and ReLU/ReLU6 runs as one fused convolution,
// as does each conv and ReLU with no batch norm between; with grad mode on (the parameters
// require grad) the modules run one by one, as before. The two outputs agree to rounding, or
// exactly where no batch norm is fused. The batch norms get random statistics and affine
// parameters, so that they are far from the identity. The torchvision comparisons with saved
// weights (torchvision_weights_test.cpp) run the fused path against PyTorch as well.
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

std::string case_name(const ::testing::TestParamInfo<FusedModelCase>& p) {
  return p.param.name;
}

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
                                           FusedModelCase{"mnasnet0_5", {1, 64, 64, 3}},
                                           FusedModelCase{"googlenet", {2, 32, 32, 3}},
                                           FusedModelCase{"inception_v3", {1, 75, 75, 3}},
                                           FusedModelCase{"shufflenet_v2_x0_5", {2, 32, 32, 3}},
                                           FusedModelCase{"vgg11_bn", {1, 32, 32, 3}}),
                         case_name);

// Models whose convolutions fuse only with a ReLU (their own bias, no batch norm): the clamp
// meets the same rounded sum as the ReLU module would, so the fused forward must give the
// unfused one's values exactly (conv_act, cnn::conv2d_act; a difference would be a bug).
class FusedConvReluInference : public ::testing::TestWithParam<FusedModelCase> {};

TEST_P(FusedConvReluInference, EqualsTheUnfusedModulesExactly) {
  const FusedModelCase& c = GetParam();
  Generator gen(7);
  auto model = create(c.name, {.classes = 10}, gen);
  model->eval();
  const Tensor x = testing::randn(c.input, 11);
  Tensor fused;
  {
    autograd::NoGradGuard no_grad;
    fused = (*model)(x);
  }
  const Tensor unfused = (*model)(x);
  ASSERT_TRUE(unfused.requires_grad());
  EXPECT_TRUE(testing::bit_identical(fused, unfused));
}

INSTANTIATE_TEST_SUITE_P(Models, FusedConvReluInference,
                         ::testing::Values(FusedModelCase{"alexnet", {1, 63, 63, 3}},
                                           FusedModelCase{"squeezenet1_1", {2, 32, 32, 3}}),
                         case_name);

// Counts the calls of convolutions, batch norms and ReLU/ReLU6 modules that a ForwardObserver
// is told of.
class ConvBnCounter final : public nn::ForwardObserver {
 public:
  void after_forward(const nn::Module& m, const Tensor&, const Tensor&) override {
    if (dynamic_cast<const nn::Conv2d*>(&m) != nullptr) ++convs;
    if (dynamic_cast<const nn::BatchNorm2d*>(&m) != nullptr) ++bns;
    if (m.type() == "ReLU" || m.type() == "ReLU6") ++activations;
  }
  int convs = 0, bns = 0, activations = 0;
};

int count_modules(const nn::Module& m, const std::string& type) {
  int n = m.type() == type ? 1 : 0;
  for (const auto& child : m.children()) n += count_modules(*child, type);
  return n;
}

// While observed (summaries, collect_activations), inference does not fuse: every conv, batch
// norm and activation module is called through its module (each of these models calls each
// such module once).
TEST(FusedInference, ObserversStillSeeEveryConvAndBatchNorm) {
  const Shape small{1, 32, 32, 3};
  const std::vector<FusedModelCase> cases = {
      {"resnet18", small},           {"resnet20", small},  {"mobilenet_v2", small},
      {"mnasnet0_5", small},         {"googlenet", small}, {"inception_v3", {1, 75, 75, 3}},
      {"shufflenet_v2_x0_5", small}, {"vgg11_bn", small},  {"alexnet", {1, 63, 63, 3}},
      {"squeezenet1_1", small}};
  for (const FusedModelCase& c : cases) {
    SCOPED_TRACE(c.name);
    Generator gen(3);
    auto model = create(c.name, {.classes = 10}, gen);
    model->eval();
    autograd::NoGradGuard no_grad;
    ConvBnCounter counter;
    {
      nn::ObserveForwards observe(counter);
      (*model)(testing::randn(c.input, 1));
    }
    EXPECT_EQ(counter.convs, count_modules(*model, "Conv2d"));
    EXPECT_EQ(counter.bns, count_modules(*model, "BatchNorm2d"));
    EXPECT_EQ(counter.activations, count_modules(*model, "ReLU") + count_modules(*model, "ReLU6"));
    EXPECT_GT(counter.convs, 0);
  }
}

}  // namespace
}  // namespace cnn::models
