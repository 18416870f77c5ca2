// upsample_nearest2d and upsample_bilinear2d: index maps and weights worked by hand, PyTorch's
// float32 rounding of the nearest index, gradient checks, thread-count invariance and
// argument errors. PyTorch comparisons are in tests/golden/upsample_golden_test.cpp.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::randn;

// A one-row image whose values are the column indices 0 .. w-1.
Tensor column_ramp(int64_t w) {
  std::vector<float> v(static_cast<size_t>(w));
  for (int64_t i = 0; i < w; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  return Tensor::from_data({1, 1, w, 1}, v);
}

TEST(UpsampleNearest, TakesFloorOfScaledIndex) {
  // 3 -> 7 columns: floor(x * 3 / 7) = 0 0 0 1 1 2 2; 5 -> 2: floor(x * 5 / 2) = 0 2.
  EXPECT_EQ(upsample_nearest2d(column_ramp(3), {1, 7}).to_vector(),
            (std::vector<float>{0, 0, 0, 1, 1, 2, 2}));
  EXPECT_EQ(upsample_nearest2d(column_ramp(5), {1, 2}).to_vector(), (std::vector<float>{0, 2}));
  // Channels move together, rows like columns: [1, 2, 1, 2] -> [1, 4, 2, 2].
  const Tensor x = Tensor::from_data({1, 2, 1, 2}, {1, 2, 3, 4});
  EXPECT_EQ(upsample_nearest2d(x, {4, 2}).to_vector(),
            (std::vector<float>{1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 3, 4}));
}

TEST(UpsampleNearest, RoundsTheIndexInFloat32LikePyTorch) {
  // 41 * float(2 / 82) is just below 1 in float32: PyTorch (and we) take row 0 at x = 41,
  // where exact arithmetic would take row 1.
  const Tensor y = upsample_nearest2d(column_ramp(2), {1, 82});
  EXPECT_EQ(y.at({0, 0, 40, 0}), 0.0f);
  EXPECT_EQ(y.at({0, 0, 41, 0}), 0.0f);
  EXPECT_EQ(y.at({0, 0, 42, 0}), 1.0f);
}

TEST(UpsampleNearest, GradientSumsOverCopies) {
  Tensor x = Tensor::zeros({1, 1, 3, 1}).requires_grad_();
  upsample_nearest2d(x, {1, 7}).backward(column_ramp(7));
  // Outputs 0..2 read column 0, 3..4 column 1, 5..6 column 2.
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0 + 1 + 2, 3 + 4, 5 + 6}));
}

TEST(UpsampleBilinear, WeightsForBothConventions) {
  const Tensor x = column_ramp(2);
  // align_corners: positions x * (2-1)/(4-1) = 0, 1/3, 2/3, 1.
  const auto corners = upsample_bilinear2d(x, {1, 4}, true).to_vector();
  const std::vector<float> expected_corners{0, 1.0f / 3, 2.0f / 3, 1};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(corners[i], expected_corners[i], 1e-7) << i;
  // Pixel centres: (x + 0.5) * 2/4 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to
  // the last column).
  EXPECT_EQ(upsample_bilinear2d(x, {1, 4}, false).to_vector(),
            (std::vector<float>{0, 0.25f, 0.75f, 1}));
  // One output with align_corners takes the first cell; the same size is the identity.
  EXPECT_EQ(upsample_bilinear2d(column_ramp(5), {1, 1}, true).to_vector(), (std::vector<float>{0}));
  const Tensor r = randn({2, 3, 5, 4}, 1);
  for (bool ac : {false, true})
    EXPECT_TRUE(testing::bit_identical(upsample_bilinear2d(r, {3, 5}, ac), r)) << ac;
}

TEST(UpsampleBilinear, GradientSplitsByTheWeights) {
  Tensor x = Tensor::zeros({1, 1, 2, 1}).requires_grad_();
  upsample_bilinear2d(x, {1, 4}, true).backward(Tensor::ones({1, 1, 4, 1}));
  // Column 0 receives 1 + 2/3 + 1/3 + 0, column 1 the rest.
  const auto g = x.grad().to_vector();
  EXPECT_NEAR(g[0], 2.0f, 1e-6);
  EXPECT_NEAR(g[1], 2.0f, 1e-6);
}

TEST(Upsample, Gradcheck) {
  const Tensor x = randn({2, 3, 4, 3}, 10);
  const Size2 sizes[] = {Size2(7, 9), Size2(6, 8), Size2(2, 3), Size2(1, 5), Size2(3, 4)};
  for (Size2 out : sizes) {
    const std::string what = "output " + std::to_string(out.h) + "x" + std::to_string(out.w);
    auto check = [&](const GradcheckFn& f, const char* op) {
      auto r = gradcheck(f, {x.clone().requires_grad_()});
      EXPECT_TRUE(r.ok) << op << " " << what << "\n" << r.report;
    };
    check([out](const std::vector<Tensor>& in) { return upsample_nearest2d(in[0], out); },
          "nearest");
    for (bool ac : {false, true})
      check(
          [out, ac](const std::vector<Tensor>& in) { return upsample_bilinear2d(in[0], out, ac); },
          ac ? "bilinear align_corners" : "bilinear");
  }
}

TEST(Upsample, ResultsDoNotDependOnTheThreadCount) {
  const Tensor x = randn({3, 9, 7, 5}, 20);
  const Tensor dy = randn({3, 31, 23, 5}, 21);
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<Tensor> out;
    for (int op = 0; op < 3; ++op) {
      Tensor xi = x.clone().requires_grad_();
      Tensor y =
          op == 0 ? upsample_nearest2d(xi, {31, 23}) : upsample_bilinear2d(xi, {31, 23}, op == 2);
      y.backward(dy);
      out.push_back(y.detach());
      out.push_back(xi.grad());
    }
    return out;
  };
  const int saved = num_threads();
  const auto one = run(1), three = run(3);
  set_num_threads(saved);
  for (size_t i = 0; i < one.size(); ++i)
    EXPECT_TRUE(testing::bit_identical(one[i], three[i])) << i;
}

void expect_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning '" << part << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(UpsampleErrors, MessagesNameTheOpTheArgumentAndTheShape) {
  expect_error(
      [] {
        upsample_nearest2d(Tensor::zeros({2, 3, 4}), {4, 4});
      },
      "upsample_nearest2d: argument 'x' must have rank 4 [batch, rows, cols, channels], "
      "got shape [2, 3, 4]");
  expect_error(
      [] {
        upsample_bilinear2d(Tensor::zeros({1, 3, 4, 2}), {0, 4});
      },
      "upsample_bilinear2d: output_size must be at least 1, got (0, 4) for x of shape "
      "[1, 3, 4, 2]");
  expect_error(
      [] {
        upsample_nearest2d(Tensor::zeros({1, 3, 4, 2}), {5, -2});
      },
      "upsample_nearest2d: output_size must be at least 1, got (5, -2)");
  expect_error(
      [] {
        upsample_bilinear2d(Tensor::zeros({1, 3, 0, 2}), {2, 2}, true);
      },
      "upsample_bilinear2d: argument 'x' must have at least one row and one column, got "
      "shape [1, 3, 0, 2]");
}

}  // namespace
}  // namespace cnn
