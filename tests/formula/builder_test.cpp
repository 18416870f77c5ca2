// The C++ builder writes the same formulas as the text: same trees, same numbers, same checks.
#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "cnn/formula_builder.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using namespace cnn::formula_builder;  // NOLINT(google-build-using-namespace): the notation
using testing::randn;

TEST(FormulaBuilder, StridedConvolutionIsTheTextsFormula) {
  const Index b("b"), x("x"), y("y"), j("j"), dx("dx"), dy("dy"), i("i");
  const TensorRef L("L"), W("W"), B("B"), Y("Y");
  const Formula built =
      build({Y(b, x, y, j) = W(dx, dy, i, j) * L(b, 2 * x + dx, 2 * y + dy, i) - B(j)});
  const Formula text("Y[b,x,y,j] = W[dx,dy,i,j] * L[b, 2*x+dx, 2*y+dy, i] - B[j]");
  EXPECT_EQ(built.to_string(), text.to_string());
  const std::map<std::string, Tensor> in = {
      {"L", randn({2, 9, 9, 3}, 1)}, {"W", randn({3, 3, 3, 4}, 2)}, {"B", randn({4}, 3)}};
  EXPECT_TRUE(testing::bit_identical(built(in), text(in)));
}

TEST(FormulaBuilder, BatchNormInThreeStatementsWithRangesAndFunctions) {
  const Index b("b"), x("x"), y("y"), j("j");
  const TensorRef L("L"), G("G"), Beta("Beta"), R("R"), mu("mu"), var("var"), Y("Y");
  const Formula built = build({
      mu(j) = mean({b, x, y}, L(b, x, y, j)),
      var(j) = mean({b, x, y}, pow(L(b, x, y, j) - mu(j), 2)),
      Y(b, x, y, j) =
          relu(G(j) * (L(b, x, y, j) - mu(j)) / sqrt(var(j) + 1e-5) + Beta(j) + R(b, x, y, j)),
  });
  EXPECT_EQ(
      built.kernels({{"L", {2, 3, 3, 4}}, {"G", {4}}, {"Beta", {4}}, {"R", {2, 3, 3, 4}}}).back(),
      "batch_norm + residual, relu");
  const std::map<std::string, Tensor> in = {{"L", randn({2, 3, 3, 4}, 1)},
                                            {"G", randn({4}, 2)},
                                            {"Beta", randn({4}, 3)},
                                            {"R", randn({2, 3, 3, 4}, 4)}};
  const Tensor want =
      relu(add(batch_norm(in.at("L"), {}, {}, in.at("G"), in.at("Beta"), {}), in.at("R")));
  EXPECT_LT(testing::relative_error(built(in), want), 1e-5);
}

TEST(FormulaBuilder, PaddingGroupsAndMaxPooling) {
  const Index b("b"), x("x"), y("y"), j("j"), dx("dx"), dy("dy"), i("i");
  const TensorRef L("L"), W("W"), Y("Y");
  auto conv =
      build({(Y(b, x, y, j) = W(dx, dy, i, j) * L(b, x + dx - 1, y + dy - 1, (j / 3) * 2 + i))
                 .where(x, 5)
                 .where(y, 5)});
  EXPECT_EQ(conv.kernels({{"L", {1, 5, 5, 4}}, {"W", {3, 3, 2, 6}}}).back(),
            "conv2d(stride 1x1, padding 1,1,1,1, groups 2)");
  auto pool = build({(Y(b, x, y, i) = reduce_max({dx, dy}, L(b, 2 * x + dx, 2 * y + dy, i)))
                         .where(dx, 3)
                         .where(dy, 3)});
  const Tensor l = randn({1, 7, 7, 2}, 5);
  EXPECT_TRUE(testing::bit_identical(pool({{"L", l}}), max_pool2d(l, {.kernel = 3, .stride = 2})));
  const TensorRef Wd("Wd");  // depthwise: a constant index
  auto depthwise = build({Y(b, x, y, j) = Wd(dx, dy, 0, j) * L(b, x + dx, y + dy, j)});
  EXPECT_EQ(depthwise.shapes({{"L", {1, 5, 5, 2}}, {"Wd", {3, 3, 1, 2}}}).tensors.at("Y"),
            (Shape{1, 3, 3, 2}));
}

TEST(FormulaBuilder, ErrorsComeFromTheSameChecks) {
  const Index x("x"), y("y");
  const TensorRef L("L"), Y("Y");
  try {
    (void)build({Y(x, y) = L(x)});
    FAIL() << "expected a FormulaError";
  } catch (const FormulaError& e) {
    EXPECT_NE(std::string(e.what()).find("index y on the left does not appear on the right"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cnn
