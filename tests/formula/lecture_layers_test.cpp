// Every layer of the lecture written as a formula (docs/FORMULAS.md), equal to the built-in op,
// forward and all gradients, and through a finite-difference check.
#include <gtest/gtest.h>

#include "formula/formula_testing.h"

namespace cnn {
namespace {

using testing::expect_both_match_builtin;
using testing::expect_gradcheck;
using testing::expect_matches_builtin;
using testing::Inputs;
using testing::randn;

// The formula on the general loop nest: the derived gradients, not the built-in op's.
Formula loop_nest(const std::string& text, FormulaOptions options) {
  options.lower = false;
  return Formula(text, options);
}

TEST(LectureFormulas, StridedConvolution) {
  const std::string text = "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, s*x+dx, s*y+dy, i] + B[j]";
  const FormulaOptions options = {.constants = {{"s", 2}}};
  const Inputs in = {
      {"L", randn({2, 9, 8, 3}, 1)}, {"W", randn({3, 3, 3, 4}, 2)}, {"B", randn({4}, 3)}};
  EXPECT_EQ(Formula(text, options)
                .shapes({{"L", {2, 9, 8, 3}}, {"W", {3, 3, 3, 4}}, {"B", {4}}})
                .tensors.at("Y"),
            (Shape{2, 4, 3, 4}));
  expect_both_match_builtin(
      text, options, in,
      [](const Inputs& t) { return conv2d(t.at("L"), t.at("W"), t.at("B"), {.stride = 2}); },
      "conv2d(stride 2x2) + bias");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, ValidConvolutionOfFifteenWithThreeTapsAndStrideTwoGivesSeven) {
  const Formula f("Y[x] = W[dx] * L[2*x + dx]");
  EXPECT_EQ(f.shapes({{"L", {15}}, {"W", {3}}}).tensors.at("Y"), (Shape{7}));
}

TEST(LectureFormulas, PaddedConvolutionIsZeroPaddingByRanges) {
  const std::string text =
      "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, x+dx-p, y+dy-p, i] + B[j] where x < H, y < H";
  const FormulaOptions options = {.constants = {{"p", 1}, {"H", 7}}};
  const Inputs in = {
      {"L", randn({2, 7, 7, 3}, 1)}, {"W", randn({3, 3, 3, 5}, 2)}, {"B", randn({5}, 3)}};
  expect_both_match_builtin(
      text, options, in,
      [](const Inputs& t) { return conv2d(t.at("L"), t.at("W"), t.at("B"), {.padding = 1}); },
      "conv2d(stride 1x1, padding 1,1,1,1) + bias");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, DilatedConvolution) {
  const std::string text = "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, x + d*dx, y + d*dy, i]";
  const FormulaOptions options = {.constants = {{"d", 2}}};
  const Inputs in = {{"L", randn({1, 9, 10, 2}, 1)}, {"W", randn({3, 2, 2, 3}, 2)}};
  expect_both_match_builtin(
      text, options, in,
      [](const Inputs& t) { return conv2d(t.at("L"), t.at("W"), {}, {.dilation = 2}); },
      "conv2d(stride 1x1, dilation 2x2)");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, GroupedConvolution) {
  // Output channel j belongs to group j / n (n outputs per group) and reads that group's c
  // input channels.
  const std::string text = "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, x+dx, y+dy, (j/n)*c + i]";
  const FormulaOptions options = {.constants = {{"n", 3}, {"c", 2}}};
  const Inputs in = {{"L", randn({2, 6, 5, 4}, 1)}, {"W", randn({3, 3, 2, 6}, 2)}};
  expect_both_match_builtin(
      text, options, in,
      [](const Inputs& t) { return conv2d(t.at("L"), t.at("W"), {}, {.groups = 2}); },
      "conv2d(stride 1x1, groups 2)");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, DepthwiseConvolution) {
  const std::string text = "Y[b,x,y,j] = W[dx,dy,0,j] * L[b, x+dx-1, y+dy-1, j] where x < 6, y < 5";
  const FormulaOptions options = {};
  const Inputs in = {{"L", randn({2, 6, 5, 4}, 1)}, {"W", randn({3, 3, 1, 4}, 2)}};
  expect_both_match_builtin(
      text, options, in,
      [](const Inputs& t) { return conv2d(t.at("L"), t.at("W"), {}, {.padding = 1, .groups = 4}); },
      "conv2d depthwise(stride 1x1, padding 1,1,1,1, groups 4)");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, MaxPooling) {
  const std::string text = "Y[b,x,y,i] = max(dx, dy: L[b, s*x+dx, s*y+dy, i]) where dx < 3, dy < 3";
  const FormulaOptions options = {.constants = {{"s", 2}}};
  const Inputs in = {{"L", randn({2, 9, 7, 3}, 1)}};
  expect_both_match_builtin(
      text, options, in,
      [](const Inputs& t) { return max_pool2d(t.at("L"), {.kernel = 3, .stride = 2}); },
      "max_pool2d(stride 2x2)");
  // Finite differences need values farther apart than their step: a shuffled ramp.
  std::vector<float> ramp(2 * 9 * 7 * 3);
  for (size_t k = 0; k < ramp.size(); ++k)
    ramp[k] = 0.1f * static_cast<float>((k * 37) % ramp.size());
  expect_gradcheck(loop_nest(text, options), {{"L", Tensor::from_data({2, 9, 7, 3}, ramp)}});
}

TEST(LectureFormulas, PaddedMaxPoolingNeverPicksThePadding) {
  // All inputs negative: a zero from the padding would win if padding were zeros.
  const std::string text =
      "Y[b,x,y,i] = max(dx, dy: L[b, 2*x+dx-1, 2*y+dy-1, i]) where x < 4, y < 4, dx < 3, dy < 3";
  const FormulaOptions options = {};
  Tensor l = sub(randn({1, 8, 8, 2}, 1, 0.1f), Tensor::full({1, 8, 8, 2}, 5.0f));
  const Inputs in = {{"L", l}};
  expect_both_match_builtin(
      text, options, in,
      [](const Inputs& t) {
        return max_pool2d(t.at("L"), {.kernel = 3, .stride = 2, .padding = 1});
      },
      "max_pool2d(stride 2x2, padding 1,1,1,1)");
}

TEST(LectureFormulas, AveragePooling) {
  const std::string text =
      "Y[b,x,y,i] = mean(dx, dy: L[b, 2*x+dx, 2*y+dy, i]) where dx < 2, dy < 2";
  const FormulaOptions options = {};
  const Inputs in = {{"L", randn({2, 6, 8, 3}, 1)}};
  expect_both_match_builtin(
      text, options, in, [](const Inputs& t) { return avg_pool2d(t.at("L"), {.kernel = 2}); },
      "avg_pool2d(stride 2x2)");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, FullyConnected) {
  const std::string text = "Y[b,j] = W[j,i] * L[b,i] + B[j]";
  const FormulaOptions options = {};
  const Inputs in = {{"L", randn({3, 7}, 1)}, {"W", randn({5, 7}, 2)}, {"B", randn({5}, 3)}};
  expect_both_match_builtin(
      text, options, in, [](const Inputs& t) { return linear(t.at("L"), t.at("W"), t.at("B")); },
      "linear + bias");
  expect_gradcheck(loop_nest(text, options), in);
}

// The lecture's batch normalization: the batch's mean and (biased) variance per channel, then
// the normalization, scale and shift.
const char* const kBatchNorm = R"(
    mu[j] = mean(b, x, y: L[b, x, y, j])
    var[j] = mean(b, x, y: (L[b, x, y, j] - mu[j])^2)
    Y[b, x, y, j] = G[j] * (L[b, x, y, j] - mu[j]) / sqrt(var[j] + eps) + Beta[j]
  )";

TEST(LectureFormulas, BatchNormalizationInTraining) {
  const Inputs in = {{"L", randn({3, 4, 5, 6}, 1)}, {"G", randn({6}, 2)}, {"Beta", randn({6}, 3)}};
  expect_both_match_builtin(
      kBatchNorm, {.constants = {{"eps", 1e-5}}}, in,
      [](const Inputs& t) {
        return batch_norm(t.at("L"), {}, {}, t.at("G"), t.at("Beta"), {.training = true});
      },
      "batch_norm", 1e-5);
  expect_gradcheck(loop_nest(kBatchNorm, {.constants = {{"eps", 1e-5}}}), in);
}

TEST(LectureFormulas, BatchNormalizationWithResidualAndRelu) {
  // The end of a residual block: relu(bn(L) + R).
  const std::string text = R"(
    mu[j] = mean(b, x, y: L[b, x, y, j])
    var[j] = mean(b, x, y: (L[b, x, y, j] - mu[j])^2)
    Y[b, x, y, j] = relu((L[b, x, y, j] - mu[j]) / sqrt(var[j] + 0.00001) * G[j] + Beta[j]
                         + R[b, x, y, j])
  )";
  const Inputs in = {{"L", randn({3, 4, 5, 6}, 1)},
                     {"G", randn({6}, 2)},
                     {"Beta", randn({6}, 3)},
                     {"R", randn({3, 4, 5, 6}, 4)}};
  expect_both_match_builtin(
      text, {}, in,
      [](const Inputs& t) {
        return relu(add(batch_norm(t.at("L"), {}, {}, t.at("G"), t.at("Beta"), {.training = true}),
                        t.at("R")));
      },
      "batch_norm + residual, relu", 1e-5);
}

TEST(LectureFormulas, BatchNormalizationInEvaluation) {
  const std::string text = "Y[b,x,y,j] = G[j] * (L[b,x,y,j] - M[j]) / sqrt(V[j] + 0.001) + Beta[j]";
  Tensor v = add(randn({6}, 5, 0.2f), Tensor::full({6}, 1.0f));
  const Inputs in = {{"L", randn({2, 3, 4, 6}, 1)},
                     {"G", randn({6}, 2)},
                     {"Beta", randn({6}, 3)},
                     {"M", randn({6}, 4)},
                     {"V", mul(v, v)}};
  expect_both_match_builtin(text, {}, in,
                            [](const Inputs& t) {
                              return batch_norm(t.at("L"), t.at("M"), t.at("V"), t.at("G"),
                                                t.at("Beta"), {.training = false, .eps = 1e-3f});
                            },
                            "batch_norm (evaluation)", 1e-5, {"M", "V"});
  expect_gradcheck(loop_nest(text, {}), in);
}

TEST(LectureFormulas, GlobalAveragePooling) {
  const Inputs in = {{"L", randn({2, 3, 4, 5}, 1)}};
  expect_both_match_builtin(
      "Y[b,j] = mean(x, y: L[b,x,y,j])", {}, in,
      [](const Inputs& t) {
        return global_avg_pool2d(t.at("L")).reshape({2, 5});
      },
      "global_avg_pool2d");
  expect_gradcheck(loop_nest("Y[b,j] = mean(x, y: L[b,x,y,j])", {}), in);
}

TEST(LectureFormulas, OptionAShortcut) {
  const std::string text = "Y[b,x,y,j] = L[b, s*x, s*y, j] where x < 4, y < 3, j < 8";
  const FormulaOptions options = {.constants = {{"s", 2}}};
  const Inputs in = {{"L", randn({2, 7, 6, 5}, 1)}};
  expect_both_match_builtin(
      text, options, in, [](const Inputs& t) { return shortcut_identity(t.at("L"), 2, 8); },
      "shortcut_identity(stride 2)");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, ResidualAddAndRelu) {
  const std::string text = "Y[b,x,y,j] = relu(L[b,x,y,j] + R[b,x,y,j])";
  const FormulaOptions options = {};
  const Inputs in = {{"L", randn({2, 3, 4, 5}, 1)}, {"R", randn({2, 3, 4, 5}, 2)}};
  expect_both_match_builtin(
      text, options, in, [](const Inputs& t) { return relu(add(t.at("L"), t.at("R"))); }, "");
}

TEST(LectureFormulas, ChannelShuffle) {
  // out[..., j*g + h] = x[..., h*n + j]: channel c of the output reads (c % g)*n + c/g.
  const std::string text = "Y[b,x,y,c] = L[b, x, y, (c % g)*n + c/g] where c < C";
  const FormulaOptions options = {.constants = {{"g", 3}, {"n", 2}, {"C", 6}}};
  const Inputs in = {{"L", randn({2, 3, 2, 6}, 1)}};
  expect_both_match_builtin(
      text, options, in, [](const Inputs& t) { return channel_shuffle(t.at("L"), 3); }, "");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, Concatenation) {
  // The lecture's L[b, x, y, J1 + J2] = L1 ; L2: each read is absent outside its tensor.
  const std::string text = "Y[b,x,y,j] = A[b,x,y,j] + C[b,x,y,j - 3] where j < 7";
  const FormulaOptions options = {};
  const Inputs in = {{"A", randn({2, 3, 4, 3}, 1)}, {"C", randn({2, 3, 4, 4}, 2)}};
  expect_both_match_builtin(
      text, options, in,
      [](const Inputs& t) {
        return concat({t.at("A"), t.at("C")}, 3);
      },
      "");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, HypercolumnUpsampling) {
  const std::string text = "Y[b,x,y,i] = L[b, x/2, y/2, i] where x < 6, y < 8";
  const FormulaOptions options = {};
  const Inputs in = {{"L", randn({2, 3, 4, 5}, 1)}};
  expect_both_match_builtin(
      text, options, in,
      [](const Inputs& t) {
        return upsample_nearest2d(t.at("L"), {6, 8});
      },
      "");
  expect_gradcheck(loop_nest(text, options), in);
}

TEST(LectureFormulas, ThresholdUnitsAreLogicGates) {
  // The lecture's threshold unit step(W . L - B): with weights 1 and thresholds 1.5 and 0.5
  // the same unit computes AND and OR; NOT is weight -1, threshold -0.5.
  const Formula f("Y[b,j] = step(W[j,i] * L[b,i] - B[j])");
  const Tensor l = Tensor::from_data({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  const Tensor w = Tensor::from_data({2, 2}, {1, 1, 1, 1});
  const Tensor b = Tensor::from_data({2}, {1.5f, 0.5f});
  EXPECT_EQ(f({{"L", l}, {"W", w}, {"B", b}}).to_vector(),
            (std::vector<float>{0, 0, 0, 1, 0, 1, 1, 1}));  // columns AND, OR
  const Tensor x = Tensor::from_data({2, 1}, {0, 1});
  EXPECT_EQ(
      f({{"L", x}, {"W", Tensor::from_data({1, 1}, {-1})}, {"B", Tensor::from_data({1}, {-0.5f})}})
          .to_vector(),
      (std::vector<float>{1, 0}));  // NOT
}

}  // namespace
}  // namespace cnn
