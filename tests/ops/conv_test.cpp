// conv2d: values on a hand-worked example, the output-size formula, finite-difference
// gradient checks over the option grid, and the error messages for every bad argument.
#include <gtest/gtest.h>

#include <sstream>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using cnn::testing::error_of;

using testing::randn;

TEST(Conv2d, HandWorkedExampleIsCorrelationInHwioLayout) {
  // x is the 3x3 image 1..9 (row-major), W[dx, dy] = [[1, 2], [3, 4]]: no kernel flip, so
  // y[0, 0] = 1*1 + 2*2 + 3*4 + 4*5 = 37, and each step right adds 1+2+3+4, down 3*(1+2+3+4).
  const Tensor x = Tensor::from_data({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor w = Tensor::from_data({2, 2, 1, 1}, {1, 2, 3, 4});
  EXPECT_EQ(conv2d(x, w).to_vector(), (std::vector<float>{37, 47, 67, 77}));
  EXPECT_EQ(conv2d(x, w, Tensor::from_data({1}, {-7})).to_vector(),
            (std::vector<float>{30, 40, 60, 70}));
  // Zero padding on the top only: the first output row sees a zero row above the image.
  EXPECT_EQ(conv2d(x, w, {}, {.padding = Pad2d(1, 0, 0, 0)}).to_vector(),
            (std::vector<float>{3 * 1 + 4 * 2, 3 * 2 + 4 * 3, 37, 47, 67, 77}));
  // Two groups of one channel each: channel 1 is channel 0 doubled, weight j reads group j.
  const Tensor x2 = conv2d(x, Tensor::from_data({1, 1, 1, 2}, {1, 2}));  // [1, 3, 3, 2]
  const Tensor y2 =
      conv2d(x2, Tensor::from_data({2, 2, 1, 2}, {1, 0, 2, 0, 3, 0, 4, 1}), {}, {.groups = 2});
  EXPECT_EQ(y2.to_vector(), (std::vector<float>{37, 10, 47, 12, 67, 16, 77, 18}));
}

TEST(Conv2d, OutputShapeFollowsTheFormula) {
  auto shape = [](const Shape& xs, const Shape& ws, const Conv2dOptions& o) {
    return conv2d(Tensor::zeros(xs), Tensor::zeros(ws), {}, o).shape();
  };
  // OH = (H + top + bottom - d*(KH-1) - 1) / s + 1.
  EXPECT_EQ(shape({2, 7, 6, 3}, {3, 3, 3, 4}, {}), (Shape{2, 5, 4, 4}));
  EXPECT_EQ(shape({2, 7, 6, 3}, {3, 3, 3, 4}, {.stride = 2, .padding = 1}), (Shape{2, 4, 3, 4}));
  EXPECT_EQ(shape({1, 224, 224, 3}, {11, 11, 3, 96}, {.stride = 4, .padding = 2}),
            (Shape{1, 55, 55, 96}));  // AlexNet's first layer
  EXPECT_EQ(shape({1, 9, 10, 2}, {3, 2, 2, 5},
                  {.stride = {2, 3}, .padding = Pad2d(0, 1, 2, 0), .dilation = {2, 1}}),
            (Shape{1, (9 + 1 - 4 - 1) / 2 + 1, (10 + 2 - 1 - 1) / 3 + 1, 5}));
  EXPECT_EQ(shape({3, 5, 5, 8}, {3, 3, 1, 16}, {.padding = 1, .groups = 8}), (Shape{3, 5, 5, 16}));
  // The kernel exactly fills the padded input: one output.
  EXPECT_EQ(shape({1, 2, 3, 1}, {4, 5, 1, 1}, {.padding = 1}), (Shape{1, 1, 1, 1}));
}

TEST(Conv2d, NonContiguousInputGivesTheSameResult) {
  const Tensor nchw = randn({2, 4, 5, 6}, 1);
  const Tensor x = nchw.permute({0, 2, 3, 1});  // a strided NHWC view
  ASSERT_FALSE(x.is_contiguous());
  const Tensor w = randn({3, 3, 4, 7}, 2);
  EXPECT_TRUE(testing::bit_identical(conv2d(x, w, {}, {.padding = 1}),
                                     conv2d(x.contiguous(), w, {}, {.padding = 1})));
}

struct GradCase {
  int64_t channels, groups, out;  // groups == channels: depthwise
  int64_t kh, kw;
  Conv2dOptions options;
  bool bias;
};

std::string describe(const GradCase& c) {
  std::ostringstream out;
  out << "C " << c.channels << " groups " << c.groups << " O " << c.out << " kernel " << c.kh << "x"
      << c.kw << " stride " << c.options.stride << " padding " << c.options.padding << " dilation "
      << c.options.dilation << (c.bias ? " bias" : " no bias");
  return out.str();
}

TEST(Conv2d, GradcheckOverOptionGrid) {
  struct Channels {
    int64_t c, groups, out;
  };
  const std::vector<Channels> channel_cases = {{3, 1, 4}, {4, 2, 6}, {4, 4, 4}, {3, 3, 6}};
  const std::vector<std::pair<int64_t, int64_t>> kernels = {{3, 3}, {2, 3}, {1, 1}};
  int count = 0;
  for (Size2 stride : {Size2(1), Size2(2, 1)})
    for (Pad2d padding : {Pad2d(0), Pad2d(1), Pad2d(2, 0, 1, 1)})
      for (Size2 dilation : {Size2(1), Size2(1, 2)})
        for (const Channels& ch : channel_cases) {
          // Cycle kernel shape and bias through the grid rather than multiplying it by 6.
          const auto [kh, kw] = kernels[static_cast<size_t>(count % 3)];
          const GradCase c{.channels = ch.c,
                           .groups = ch.groups,
                           .out = ch.out,
                           .kh = kh,
                           .kw = kw,
                           .options = {stride, padding, dilation, ch.groups},
                           .bias = count % 2 == 0};
          SCOPED_TRACE(describe(c));
          const uint64_t seed = 10 + 3 * static_cast<uint64_t>(count++);
          Tensor x = randn({1 + count % 2, 6, 5, c.channels}, seed).requires_grad_();
          Tensor w = randn({c.kh, c.kw, c.channels / c.groups, c.out}, seed + 1).requires_grad_();
          Tensor b = c.bias ? randn({c.out}, seed + 2).requires_grad_() : Tensor();
          auto r = gradcheck(
              [&](const std::vector<Tensor>& in) {
                return conv2d(in[0], in[1], c.bias ? in[2] : Tensor(), c.options);
              },
              c.bias ? std::vector<Tensor>{x, w, b} : std::vector<Tensor>{x, w});
          EXPECT_TRUE(r.ok) << r.report;
        }
  EXPECT_EQ(count, 2 * 3 * 2 * 4);
}

TEST(Conv2d, GradientOnlyForInputsThatRequireIt) {
  Tensor x = randn({1, 4, 4, 2}, 3);
  Tensor w = randn({3, 3, 2, 3}, 4).requires_grad_();
  Tensor b = randn({3}, 5);
  sum(conv2d(x, w, b, {.padding = 1})).backward();
  EXPECT_TRUE(w.grad().defined());
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(b.grad().defined());
}

TEST(Conv2d, ErrorsNameTheArgumentAndShapes) {
  const Tensor x = Tensor::zeros({2, 5, 5, 4});
  const Tensor w = Tensor::zeros({3, 3, 4, 6});
  auto error = [](const Tensor& xs, const Tensor& ws, const Tensor& b = {},
                  const Conv2dOptions& o = {}) { return error_of([&] { conv2d(xs, ws, b, o); }); };
  auto zeros = [](const Shape& s) { return Tensor::zeros(s); };
  EXPECT_EQ(error(zeros({5, 5, 4}), w),
            "conv2d: argument 'x' must have rank 4 [batch, rows, cols, channels], got shape "
            "[5, 5, 4]");
  EXPECT_EQ(error(x, zeros({3, 3, 4})),
            "conv2d: argument 'weight' must have rank 4 [kernel_rows, kernel_cols, "
            "in_channels / groups, out_channels], got shape [3, 3, 4]");
  EXPECT_EQ(error(x, zeros({3, 3, 3, 6})),
            "conv2d: x has 4 channels but weight of shape [3, 3, 3, 6] with groups = 1 expects 3 "
            "(in_channels / groups = 3); x shape [2, 5, 5, 4]");
  EXPECT_EQ(error(x, w, {}, {.groups = 2}),
            "conv2d: x has 4 channels but weight of shape [3, 3, 4, 6] with groups = 2 expects 8 "
            "(in_channels / groups = 4); x shape [2, 5, 5, 4]");
  EXPECT_EQ(error(x, zeros({3, 3, 1, 6}), {}, {.groups = 4}),
            "conv2d: weight has 6 output channels, not divisible by groups = 4 (weight shape "
            "[3, 3, 1, 6])");
  EXPECT_EQ(error(x, zeros({3, 3, 1, 6}), {}, {.groups = 3}),
            "conv2d: x has 4 channels, not divisible by groups = 3 (x shape [2, 5, 5, 4])");
  EXPECT_EQ(error(x, w, {}, {.groups = 0}), "conv2d: option 'groups' must be at least 1, got 0");
  EXPECT_EQ(error(x, w, {}, {.stride = {1, 0}}),
            "conv2d: option 'stride' must be positive, got (1, 0)");
  EXPECT_EQ(error(x, w, {}, {.dilation = -1}),
            "conv2d: option 'dilation' must be positive, got (-1, -1)");
  EXPECT_EQ(error(x, w, {}, {.padding = Pad2d(0, 0, -1, 0)}),
            "conv2d: option 'padding' must not be negative, got (top 0, bottom 0, left -1, "
            "right 0)");
  EXPECT_EQ(error(x, zeros({7, 3, 4, 6}), {}, {.padding = Pad2d(1, 0, 0, 0)}),
            "conv2d: kernel 7x3 with dilation (1, 1) spans 7x3, larger than the padded input 6x5 "
            "(x shape [2, 5, 5, 4], padding (top 1, bottom 0, left 0, right 0)): output size "
            "would be 0x3");
  EXPECT_NE(error(x, w, {}, {.dilation = 3}).find("spans 7x7, larger than the padded input 5x5"),
            std::string::npos);
  EXPECT_EQ(error(x, w, zeros({4})),
            "conv2d: argument 'bias' must have shape [6] (one per output channel of weight "
            "[3, 3, 4, 6]), got shape [4]");
  EXPECT_EQ(error(x, w, zeros({1, 6})),
            "conv2d: argument 'bias' must have rank 1 [out_channels], got shape [1, 6]");
  EXPECT_EQ(error(x, zeros({0, 3, 4, 6})),
            "conv2d: argument 'weight' must have positive extents, got shape [0, 3, 4, 6]");
  EXPECT_NE(error(Tensor::zeros({2, 5, 5, 4}, DType::i64), w).find("'x' must be float32"),
            std::string::npos);
}

}  // namespace
}  // namespace cnn
