// linear: a hand-worked value, leading dimensions, gradient checks and error messages.
#include <gtest/gtest.h>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using cnn::testing::error_of;

using testing::randn;

TEST(Linear, HandWorkedExample) {
  // y[b, j] = sum_i W[j, i] x[b, i] + B[j] with W = [[1, 2, 3], [0, -1, 1]].
  const Tensor x = Tensor::from_data({2, 3}, {1, 1, 1, 2, 0, -1});
  const Tensor w = Tensor::from_data({2, 3}, {1, 2, 3, 0, -1, 1});
  EXPECT_EQ(linear(x, w).to_vector(), (std::vector<float>{6, 0, -1, -1}));
  EXPECT_EQ(linear(x, w, Tensor::from_data({2}, {10, 20})).to_vector(),
            (std::vector<float>{16, 20, 9, 19}));
}

TEST(Linear, LeadingDimensionsAreKept) {
  const Tensor x = randn({2, 3, 5}, 1), w = randn({4, 5}, 2), b = randn({4}, 3);
  const Tensor y = linear(x, w, b);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 4}));
  EXPECT_TRUE(testing::bit_identical(y.reshape({6, 4}), linear(x.reshape({6, 5}), w, b)));
  EXPECT_EQ(linear(randn({5}, 4), w).shape(), (Shape{4}));
}

TEST(Linear, Gradcheck) {
  // Sizes past the GEMM's 6x16 tile and its threading threshold, with and without bias,
  // a rank-3 input, and a transposed (non-contiguous) weight.
  for (const auto& [x_shape, out] : std::vector<std::pair<Shape, int64_t>>{
           {{3, 5}, 4}, {{7, 20}, 17}, {{70, 80}, 65}, {{2, 3, 6}, 5}, {{1, 9}, 1}}) {
    SCOPED_TRACE(to_string(x_shape) + " -> " + std::to_string(out));
    Tensor x = randn(x_shape, 5).requires_grad_();
    Tensor w = randn({out, x_shape.back()}, 6, 0.3f).requires_grad_();
    Tensor b = randn({out}, 7).requires_grad_();
    auto with_bias = gradcheck(
        [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
    EXPECT_TRUE(with_bias.ok) << with_bias.report;
    auto without =
        gradcheck([](const std::vector<Tensor>& in) { return linear(in[0], in[1]); }, {x, w});
    EXPECT_TRUE(without.ok) << without.report;
  }
  Tensor x = randn({4, 6}, 8).requires_grad_();
  Tensor wt = randn({6, 3}, 9).requires_grad_();  // used as weight.transpose: [3, 6], strided
  auto r = gradcheck(
      [](const std::vector<Tensor>& in) { return linear(in[0], in[1].transpose(0, 1)); }, {x, wt});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Linear, ErrorsNameTheArgumentAndShapes) {
  const Tensor x = Tensor::zeros({4, 6}), w = Tensor::zeros({3, 6});
  auto error = [](const Tensor& xs, const Tensor& ws, const Tensor& b = {}) {
    return error_of([&] { linear(xs, ws, b); });
  };
  auto zeros = [](const Shape& s) { return Tensor::zeros(s); };
  EXPECT_EQ(error(x, zeros({3, 5})),
            "linear: x has 6 features in its last dimension but weight of shape [3, 5] expects "
            "in_features = 5 (x shape [4, 6])");
  EXPECT_EQ(error(x, zeros({18})),
            "linear: argument 'weight' must have rank 2 [out_features, in_features], got shape "
            "[18]");
  EXPECT_EQ(error(Tensor::scalar(1.0f), w),
            "linear: argument 'x' must have rank at least 1 [..., in_features], got shape []");
  EXPECT_EQ(error(x, w, zeros({6})),
            "linear: argument 'bias' must have shape [3] (one per output feature of weight "
            "[3, 6]), got shape [6]");
  EXPECT_EQ(error(x, w, zeros({1, 3})),
            "linear: argument 'bias' must have rank 1 [out_features], got shape [1, 3]");
  EXPECT_EQ(error(x, Tensor()), "linear: argument 'weight' is an undefined tensor");
}

}  // namespace
}  // namespace cnn
