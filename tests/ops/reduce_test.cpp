// amax: values over chosen dimensions, NaN, the gradient split among tied maxima (as
// torch.amax), gradient checks and argument errors. Sum and mean are tested with autograd
// (tests/autograd); PyTorch comparisons are in tests/golden/elementwise_golden_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::error_of;
using testing::randn;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Distinct values 0.1 apart in a fixed shuffled order: no ties, and a gradient check's step
// cannot reorder two of them.
Tensor distinct(const Shape& shape) {
  const int64_t n = checked_numel(shape);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = 0.1f * static_cast<float>((i * 37) % n - n / 2);
  return Tensor::from_data(shape, v);
}

TEST(Amax, ValuesOverChosenDimensions) {
  // [2, 3]: rows {1, 5, 2} and {7, -1, 3}.
  const Tensor x = Tensor::from_data({2, 3}, {1, 5, 2, 7, -1, 3});
  EXPECT_EQ(amax(x).shape(), Shape{});
  EXPECT_EQ(amax(x).item(), 7.0f);
  EXPECT_EQ(amax(x, {1}).to_vector(), (std::vector<float>{5, 7}));
  EXPECT_EQ(amax(x, {-1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(amax(x, {0}).to_vector(), (std::vector<float>{7, 5, 3}));
  EXPECT_EQ(amax(x, {0, 1}, true).shape(), (Shape{1, 1}));
  // Over the spatial dimensions of NHWC, against a loop.
  const Tensor t = randn({2, 3, 4, 5}, 1);
  const Tensor m = amax(t, {1, 2});
  ASSERT_EQ(m.shape(), (Shape{2, 5}));
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 5; ++c) {
      float want = -kInf;
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t w = 0; w < 4; ++w) want = std::max(want, t.at({n, h, w, c}));
      EXPECT_EQ(m.at({n, c}), want);
    }
  // A scalar reduces to itself; -inf everywhere gives -inf.
  EXPECT_EQ(amax(Tensor::scalar(2.5f)).item(), 2.5f);
  EXPECT_EQ(amax(Tensor::full({3}, -kInf)).item(), -kInf);
  // Keeping an empty dimension gives an empty result.
  EXPECT_EQ(amax(Tensor::zeros({0, 3}), {1}).shape(), (Shape{0}));
}

TEST(Amax, GradientSplitsAmongTiedMaximaAsTorch) {
  // torch.amax(x, 0) on [1, 3, 3, 3, 2], then backward of the sum: 1/3 to each 3.
  Tensor x = Tensor::from_data({5}, {1, 3, 3, 3, 2}).requires_grad_();
  amax(x, {0}).backward();
  const float third = 1.0f / 3.0f;
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0, third, third, third, 0}));
  // Per row, with an upstream gradient: rows [1, 3, 3] and [4, 0, 4].
  Tensor y = Tensor::from_data({2, 3}, {1, 3, 3, 4, 0, 4}).requires_grad_();
  amax(y, {1}, true).backward(Tensor::from_data({2, 1}, {2, -6}));
  EXPECT_EQ(y.grad().to_vector(), (std::vector<float>{0, 1, 1, -3, 0, -3}));
  // All -inf: every element ties.
  Tensor z = Tensor::full({2}, -kInf).requires_grad_();
  amax(z).backward();
  EXPECT_EQ(z.grad().to_vector(), (std::vector<float>{0.5f, 0.5f}));
}

TEST(Amax, NaNPropagatesAsTorch) {
  // torch.amax of [1, nan, 3] is nan, and its gradient is nan throughout, for any upstream
  // gradient (dy / 0 * 0): no element equals the NaN maximum.
  for (float dy : {2.0f, 0.0f}) {
    Tensor x = Tensor::from_data({3}, {1, kNaN, 3}).requires_grad_();
    const Tensor y = amax(x);
    EXPECT_TRUE(std::isnan(y.item()));
    y.backward(Tensor::scalar(dy));
    for (float g : x.grad().to_vector()) EXPECT_TRUE(std::isnan(g)) << g;
  }
  // Only the groups holding a NaN are affected.
  Tensor x = Tensor::from_data({2, 2}, {kNaN, 1, 2, 3}).requires_grad_();
  const Tensor y = amax(x, {1});
  EXPECT_TRUE(std::isnan(y.at({0})));
  EXPECT_EQ(y.at({1}), 3.0f);
  sum(y).backward();
  const std::vector<float> g = x.grad().to_vector();
  EXPECT_TRUE(std::isnan(g[0]) && std::isnan(g[1]));
  EXPECT_EQ(g[2], 0.0f);
  EXPECT_EQ(g[3], 1.0f);
  // An infinite upstream gradient: inf / 2 where x ties, inf * 0 = nan elsewhere (torch:
  // [nan, inf, inf]).
  Tensor w = Tensor::from_data({3}, {1, 3, 3}).requires_grad_();
  amax(w).backward(Tensor::scalar(kInf));
  const std::vector<float> gw = w.grad().to_vector();
  EXPECT_TRUE(std::isnan(gw[0]));
  EXPECT_EQ(gw[1], kInf);
  EXPECT_EQ(gw[2], kInf);
}

TEST(Amax, Gradcheck) {
  const Tensor x = distinct({2, 3, 4, 5}).requires_grad_();
  for (const Shape& dims : std::vector<Shape>{{}, {1, 2}, {0}, {-1}, {0, 3}}) {
    for (bool keep : {false, true}) {
      SCOPED_TRACE(to_string(dims) + (keep ? " keepdim" : ""));
      auto r =
          gradcheck([&](const std::vector<Tensor>& in) { return amax(in[0], dims, keep); }, {x});
      EXPECT_TRUE(r.ok) << r.report;
    }
  }
}

TEST(Amax, Errors) {
  const Tensor x = Tensor::zeros({2, 0, 3});
  EXPECT_EQ(error_of([&] { amax(x, {1}); }),
            "amax: cannot reduce dimension 1 of x of shape [2, 0, 3], which has size 0");
  EXPECT_EQ(error_of([&] { amax(x); }),
            "amax: cannot reduce dimension 1 of x of shape [2, 0, 3], which has size 0");
  EXPECT_EQ(amax(x, {2}).shape(), (Shape{2, 0}));
  EXPECT_EQ(error_of([] {
              amax(Tensor::zeros({2, 3}), {2});
            }),
            "amax: dimension 2 is out of range for a tensor of rank 2");
  EXPECT_EQ(error_of([] {
              amax(Tensor::zeros({2, 3}), {1, -1});
            }),
            "amax: dimension -1 listed twice for x of shape [2, 3]");
  EXPECT_EQ(error_of([] { amax(Tensor::zeros({3}, DType::i64)); }),
            "amax: argument 'x' must be float32, got int64 of shape [3]");
}

}  // namespace
}  // namespace cnn
