// nn::Formula: parameters named in the formula, initialized from the formula's fan-in, in
// state_dict, trained by an optimizer like any module's, and counted by summaries.
#include <gtest/gtest.h>

#include <cmath>

#include "cnn/cnn.h"
#include "cnn/nn/formula.h"
#include "cnn/nn/summary.h"
#include "cnn/prepare.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::randn;

std::shared_ptr<nn::Formula> conv_layer(Generator& gen) {
  return std::make_shared<nn::Formula>(
      "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, x+dx-1, y+dy-1, i] + B[j] where x < 6, y < 6",
      nn::FormulaLayerOptions{.constants = {},
                              .parameters = {{.name = "W", .shape = {3, 3, 4, 8}, .init = {}},
                                             {.name = "B", .shape = {8}, .init = {}}},
                              .input = ""},
      gen);
}

TEST(FormulaModule, ParametersAreTheFormulasWithXavierFromTheFanIn) {
  Generator gen(1);
  auto layer = conv_layer(gen);
  const auto state = layer->state_dict();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state.begin()->first, "W");
  EXPECT_EQ(std::next(state.begin())->first, "B");
  EXPECT_EQ(layer->formula().fan_in("W", {3, 3, 4, 8}), 3 * 3 * 4);
  const float bound = std::sqrt(3.0f / (3 * 3 * 4));
  float largest = 0;
  for (float v : state.at("W").to_vector()) largest = std::max(largest, std::abs(v));
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.8f * bound);
  for (float v : state.at("B").to_vector()) EXPECT_EQ(v, 0.0f);
  // The same numbers as the built-in convolution with these weights.
  const Tensor x = randn({2, 6, 6, 4}, 3);
  EXPECT_LT(
      testing::relative_error((*layer)(x), conv2d(x, state.at("W"), state.at("B"), {.padding = 1})),
      1e-5);
}

TEST(FormulaModule, TrainsWithAnOptimizer) {
  // A least-squares fit of a 3-tap filter: the loss must fall a lot.
  Generator gen(2);
  nn::Formula layer(
      "Y[b,x] = W[dx] * L[b, x+dx]",
      {.constants = {}, .parameters = {{.name = "W", .shape = {3}, .init = {}}}, .input = ""}, gen);
  const Tensor x = randn({8, 20}, 4);
  const Tensor target =
      conv2d(x.reshape({8, 20, 1, 1}), Tensor::from_data({3, 1, 1, 1}, {0.5f, -1, 2}))
          .reshape({8, 18});
  optim::SGD sgd(layer.parameters(), {.lr = 0.05});
  double first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    const Tensor loss = mse_loss(layer(x), target);
    if (step == 0) first = loss.item();
    last = loss.item();
    sgd.zero_grad();
    loss.backward();
    sgd.step();
  }
  EXPECT_LT(last, first * 1e-3) << first << " -> " << last;
  const auto w = layer.parameters()[0].to_vector();
  EXPECT_NEAR(w[0], 0.5f, 1e-2);
  EXPECT_NEAR(w[1], -1.0f, 1e-2);
  EXPECT_NEAR(w[2], 2.0f, 1e-2);
}

TEST(FormulaModule, SummaryCountsItsMultiplyAdds) {
  Generator gen(1);
  nn::Sequential model;
  model.push_back(conv_layer(gen));
  const nn::ModelSummary summary = nn::summarize(model, {6, 6, 4});
  ASSERT_EQ(summary.layers.size(), 1u);
  EXPECT_EQ(summary.layers[0].output_shape, (Shape{6, 6, 8}));
  EXPECT_EQ(summary.layers[0].parameters, 3 * 3 * 4 * 8 + 8);
  // 6*6*8 outputs of 3*3*4 multiply-adds, plus the bias's add (half a multiply-add each).
  EXPECT_EQ(summary.layers[0].macs, 6 * 6 * 8 * 3 * 3 * 4 + 6 * 6 * 8 / 2);
}

TEST(FormulaModule, BadParametersAreNamed) {
  Generator gen(1);
  auto make = [&](std::vector<nn::FormulaParameter> parameters, std::string input = "") {
    return nn::Formula(
        "Y[b,j] = W[j,i] * L[b,i] + B[j]",
        {.constants = {}, .parameters = std::move(parameters), .input = std::move(input)}, gen);
  };
  EXPECT_NE(testing::error_of([&] {
              make({{.name = "Q", .shape = {2}, .init = {}}});
            }).find("parameter Q is not read"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] {
              make({{.name = "B", .shape = {2}, .init = nn::FormulaInit::xavier}});
            }).find("not read inside a sum"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] {
              make({{.name = "W", .shape = {2, 3}, .init = {}}}, "W");
            }).find("input W is also a parameter"),
            std::string::npos);
  auto two_free = make({{.name = "W", .shape = {2, 3}, .init = {}}});
  EXPECT_NE(testing::error_of([&] {
              two_free(Tensor::zeros({1, 3}));
            }).find("call forward with them by name"),
            std::string::npos);
}

}  // namespace
}  // namespace cnn

namespace cnn {
namespace {

TEST(FormulaModule, ALoopNestStatementRefusesToBeTracedForPreparation) {
  Generator gen(1);
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Formula>(
      "Y[b,x,y,c] = L[b, x, y, (c % 2)*2 + c/2] where c < 4", nn::FormulaLayerOptions{}, gen));
  model->eval();
  EXPECT_NE(testing::error_of([&] {
              (void)prepare(model, {1, 3, 3, 4});
            }).find("statement Y runs on the general loop nest"),
            std::string::npos);
}

}  // namespace
}  // namespace cnn
