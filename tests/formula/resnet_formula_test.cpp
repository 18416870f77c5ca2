// ResNet-20 written in formulas computes what resnet20 computes: the same weights give the same
// logits, gradients and running statistics in training, and the same logits in evaluation; and
// every layer runs on the kernel of its built-in twin.
#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "cnn/models/resnet_formula.h"
#include "cnn/nn/summary.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::randn;
using testing::relative_error;

TEST(ResNetFormula, EqualsResNet20WithTheSameWeights) {
  Generator gen(1);
  auto reference = models::create("resnet20", {.classes = 10, .in_channels = 1}, gen);
  auto formula = models::create("resnet20_formula", {.classes = 10, .in_channels = 1}, gen);
  const auto ref_params = reference->parameters();
  const auto formula_params = formula->parameters();
  ASSERT_EQ(ref_params.size(), formula_params.size());
  for (size_t k = 0; k < ref_params.size(); ++k) {
    ASSERT_EQ(ref_params[k].shape(), formula_params[k].shape()) << k;
    Tensor p = formula_params[k];
    const auto values = ref_params[k].to_vector();
    std::copy(values.begin(), values.end(), p.data());
    p.mark_modified();
  }
  const Tensor x = randn({6, 12, 12, 1}, 2);
  for (int step = 0; step < 2; ++step) {  // training: batch statistics, running ones updated
    const Tensor ya = reference->forward(x);
    const Tensor yb = formula->forward(x);
    EXPECT_LT(relative_error(yb, ya), 1e-6) << "training logits, step " << step;
    reference->zero_grad();
    formula->zero_grad();
    const Tensor r = randn(ya.shape(), 3);
    sum(mul(ya, r)).backward();
    sum(mul(yb, r)).backward();
    for (size_t k = 0; k < ref_params.size(); ++k) {
      EXPECT_LT(relative_error(formula_params[k].grad(), ref_params[k].grad()), 1e-6)
          << "gradient " << k << ", step " << step;
    }
  }
  const auto ref_state = reference->state_dict();
  const auto formula_state = formula->state_dict();
  EXPECT_LT(relative_error(formula_state.at("layer2.0.bn2.running_mean"),
                           ref_state.at("layer2.0.bn2.running_mean")),
            1e-6);
  EXPECT_LT(relative_error(formula_state.at("layer3.2.bn1.running_var"),
                           ref_state.at("layer3.2.bn1.running_var")),
            1e-6);
  reference->eval();
  formula->eval();
  EXPECT_LT(relative_error(formula->forward(x), reference->forward(x)), 1e-6) << "evaluation";
}

TEST(ResNetFormula, EveryLayerRunsOnABuiltInKernel) {
  const Formula conv(
      "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, s*x + dx - 1, s*y + dy - 1, i] "
      "where x < (dim(L,1) + s - 1)/s, y < (dim(L,2) + s - 1)/s",
      {.constants = {{"s", 2}}});
  EXPECT_EQ(conv.kernels({{"L", {8, 28, 28, 16}}, {"W", {3, 3, 16, 32}}}).back(),
            "conv2d(stride 2x2, padding 1,1,1,1)");
  const Formula head("P[b,j] = mean(x, y: L[b,x,y,j])\nY[b,k] = W[k,j] * P[b,j] + B[k]");
  EXPECT_EQ(head.kernels({{"L", {8, 7, 7, 64}}, {"W", {10, 64}}, {"B", {10}}}),
            (std::vector<std::string>{"global_avg_pool2d", "linear + bias"}));
}

// cnn summary sees every layer, the batch norms that also take the residual included: resnet20's
// rows with their names, output shapes and multiply-adds, plus the two option-A shortcuts (a
// module here, a function there). The classifier's formula also averages the 7x7 map.
TEST(ResNetFormula, SummaryListsTheSameLayersAsResNet20) {
  Generator gen(3);
  auto plain = models::create("resnet20", {.classes = 10, .in_channels = 1}, gen);
  auto formula = models::create("resnet20_formula", {.classes = 10, .in_channels = 1}, gen);
  const auto a = nn::summarize(*plain, {28, 28, 1});
  auto b = nn::summarize(*formula, {28, 28, 1});
  std::erase_if(b.layers, [](const nn::LayerSummary& l) { return l.name.ends_with(".shortcut"); });
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t k = 0; k < a.layers.size(); ++k) {
    EXPECT_EQ(a.layers[k].name, b.layers[k].name);
    EXPECT_EQ(to_string(a.layers[k].output_shape), to_string(b.layers[k].output_shape))
        << a.layers[k].name;
    if (a.layers[k].name != "fc") {
      EXPECT_EQ(a.layers[k].macs, b.layers[k].macs) << a.layers[k].name;
    }
  }
  EXPECT_EQ(a.parameters, b.parameters);
}

}  // namespace
}  // namespace cnn
