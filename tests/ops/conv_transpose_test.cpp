// conv_transpose2d: a hand-worked example, the output-size formula, forward and every gradient
// against a scatter reference written from the definition (over an option grid that reaches
// every conv2d kernel the op runs on), the adjoint relation with conv2d, finite-difference
// gradient checks, and the error messages for bad arguments.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using cnn::testing::error_of;
using testing::randn;
using testing::relative_error;

struct Grads {
  Tensor y, dx, dw, db;
};

// The definition, in double: each input pixel scatters its weighted kernel,
//   y[b, s*h + d*ky - pad_top, s*w + d*kx - pad_left, g*OG + o]
//       += x[b, h, w, g*CG + i] * W[ky, kx, o, g*CG + i],
// and the gradients for an upstream dy are the matching gathers (dx, dW) and sum (db).
Grads reference(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& dy_or_empty,
                const ConvTranspose2dOptions& o) {
  const int64_t n = x.size(0), h = x.size(1), wd = x.size(2), c = x.size(3);
  const int64_t kh = w.size(0), kw = w.size(1), og = w.size(2), groups = o.groups;
  const int64_t cg = c / groups, out_c = og * groups;
  const int64_t oh = (h - 1) * o.stride.h - o.padding.top - o.padding.bottom +
                     o.dilation.h * (kh - 1) + o.output_padding.h + 1;
  const int64_t ow = (wd - 1) * o.stride.w - o.padding.left - o.padding.right +
                     o.dilation.w * (kw - 1) + o.output_padding.w + 1;
  const Shape y_shape{n, oh, ow, out_c};
  const Tensor dy = dy_or_empty.defined() ? dy_or_empty : Tensor::zeros(y_shape);
  const std::vector<float> xv = x.contiguous().to_vector(), wv = w.contiguous().to_vector();
  const std::vector<float> dyv = dy.contiguous().to_vector();
  std::vector<double> y(static_cast<size_t>(n * oh * ow * out_c), 0.0);
  std::vector<double> dx(xv.size(), 0.0), dw(wv.size(), 0.0), db(static_cast<size_t>(out_c), 0.0);
  if (bias.defined()) {
    const std::vector<float> bv = bias.to_vector();
    for (size_t p = 0; p < y.size(); ++p) y[p] = bv[p % static_cast<size_t>(out_c)];
  }
  for (int64_t b = 0; b < n; ++b)
    for (int64_t iy = 0; iy < h; ++iy)
      for (int64_t ix = 0; ix < wd; ++ix)
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx) {
            const int64_t yy = o.stride.h * iy + o.dilation.h * ky - o.padding.top;
            const int64_t yx = o.stride.w * ix + o.dilation.w * kx - o.padding.left;
            if (yy < 0 || yy >= oh || yx < 0 || yx >= ow) continue;
            for (int64_t g = 0; g < groups; ++g)
              for (int64_t i = 0; i < cg; ++i)
                for (int64_t j = 0; j < og; ++j) {
                  const size_t xi = static_cast<size_t>(((b * h + iy) * wd + ix) * c + g * cg + i);
                  const size_t wi = static_cast<size_t>(((ky * kw + kx) * og + j) * c + g * cg + i);
                  const size_t yi =
                      static_cast<size_t>(((b * oh + yy) * ow + yx) * out_c + g * og + j);
                  y[yi] += static_cast<double>(xv[xi]) * wv[wi];
                  dx[xi] += static_cast<double>(dyv[yi]) * wv[wi];
                  dw[wi] += static_cast<double>(dyv[yi]) * xv[xi];
                }
          }
  for (size_t p = 0; p < dyv.size(); ++p) db[p % static_cast<size_t>(out_c)] += dyv[p];
  auto tensor = [](const Shape& s, const std::vector<double>& v) {
    return Tensor::from_data(s, std::vector<float>(v.begin(), v.end()));
  };
  return {tensor(y_shape, y), tensor(x.shape(), dx), tensor(w.shape(), dw), tensor({out_c}, db)};
}

struct Case {
  int64_t n, h, w, c, out_c, kh, kw;
  ConvTranspose2dOptions options;
  bool bias;
};

std::string describe(const Case& c) {
  std::ostringstream out;
  out << "x [" << c.n << ", " << c.h << ", " << c.w << ", " << c.c << "] O " << c.out_c
      << " kernel " << c.kh << "x" << c.kw << " stride " << c.options.stride << " padding "
      << c.options.padding << " output_padding " << c.options.output_padding << " dilation "
      << c.options.dilation << " groups " << c.options.groups << (c.bias ? " bias" : " no bias");
  return out.str();
}

TEST(ConvTranspose2d, HandWorkedExampleScattersTheKernel) {
  // x = [[1, 2], [3, 4]], W = [[1, 2], [3, 4]]: each x pixel adds x * W at its position.
  const Tensor x = Tensor::from_data({1, 2, 2, 1}, {1, 2, 3, 4});
  const Tensor w = Tensor::from_data({2, 2, 1, 1}, {1, 2, 3, 4});
  EXPECT_EQ(conv_transpose2d(x, w).to_vector(),
            (std::vector<float>{1, 4, 4, 6, 20, 16, 9, 24, 16}));
  // Stride 2: the copies do not overlap; padding 1 on the top crops the first row; the bias
  // is added everywhere.
  EXPECT_EQ(conv_transpose2d(x, w, Tensor::from_data({1}, {0.5f}),
                             {.stride = 2, .padding = Pad2d(1, 0, 0, 0)})
                .to_vector(),
            (std::vector<float>{3.5f, 4.5f, 6.5f, 8.5f,  //
                                3.5f, 6.5f, 4.5f, 8.5f,  //
                                9.5f, 12.5f, 12.5f, 16.5f}));
  // Two groups: output channel j is fed by input channel j only.
  const Tensor x2 = Tensor::from_data({1, 1, 1, 2}, {1, 10});
  const Tensor w2 = Tensor::from_data({1, 2, 1, 2}, {1, 2, 3, 4});  // [ky][kx][o][c]
  EXPECT_EQ(conv_transpose2d(x2, w2, {}, {.groups = 2}).to_vector(),
            (std::vector<float>{1, 20, 3, 40}));
}

TEST(ConvTranspose2d, OutputShapeFollowsTheFormula) {
  auto shape = [](const Shape& xs, const Shape& ws, const ConvTranspose2dOptions& o) {
    return conv_transpose2d(Tensor::zeros(xs), Tensor::zeros(ws), {}, o).shape();
  };
  // OH = (H - 1) * s - top - bottom + d * (KH - 1) + output_padding + 1.
  EXPECT_EQ(shape({2, 5, 4, 3}, {3, 3, 2, 3}, {}), (Shape{2, 7, 6, 2}));
  EXPECT_EQ(shape({1, 5, 4, 3}, {3, 3, 2, 3}, {.stride = 2, .padding = 1, .output_padding = 1}),
            (Shape{1, 10, 8, 2}));  // the usual "upsample by 2" layer
  EXPECT_EQ(shape({1, 4, 6, 4}, {2, 3, 3, 4},
                  {.stride = {3, 2},
                   .padding = Pad2d(1, 0, 2, 1),
                   .output_padding = {2, 0},
                   .dilation = {1, 2},
                   .groups = 2}),
            (Shape{1, 3 * 3 - 1 + 1 + 2 + 1, 5 * 2 - 3 + 4 + 1, 6}));
  EXPECT_EQ(shape({0, 5, 4, 3}, {3, 3, 2, 3}, {.stride = 2}), (Shape{0, 11, 9, 2}));  // empty batch
  // output_padding below the dilation, though not below the stride
  EXPECT_EQ(shape({1, 3, 3, 1}, {3, 3, 1, 1}, {.output_padding = 1, .dilation = 2}),
            (Shape{1, 2 + 4 + 1 + 1, 2 + 4 + 1 + 1, 1}));
}

TEST(ConvTranspose2d, ForwardAndGradientsMatchTheScatterDefinition) {
  const std::vector<Case> cases = {
      {1, 4, 5, 3, 2, 3, 3, {}, true},
      {3, 5, 4, 2, 3, 3, 2, {.stride = 2}, false},
      {2, 5, 5, 3, 4, 3, 3, {.stride = 2, .padding = 1, .output_padding = 1}, true},
      {1, 4, 3, 2, 2, 4, 3, {.stride = 3, .padding = Pad2d(1, 2, 0, 1)}, true},
      {2, 3, 4, 3, 2, 3, 3, {.stride = {3, 2}, .output_padding = {2, 1}}, false},
      {1, 5, 6, 2, 3, 3, 3, {.padding = Pad2d(0, 2, 1, 0), .dilation = 2}, true},
      {2, 4, 4, 2, 2, 2, 3, {.output_padding = {1, 1}, .dilation = {2, 3}}, true},
      {1, 6, 5, 4, 6, 3, 3, {.stride = 2, .padding = 1, .groups = 2}, true},
      {2, 5, 5, 6, 9, 3, 2, {.stride = {1, 2}, .dilation = {2, 1}, .groups = 3}, false},
      {3, 5, 4, 4, 4, 3, 3, {.padding = 1, .groups = 4}, true},                      // depthwise
      {1, 7, 6, 4, 8, 3, 3, {.stride = 2, .output_padding = 1, .groups = 4}, true},  // mult 2
      {1, 5, 5, 3, 2, 1, 1, {.stride = 2}, true},                                    // 1x1
      // padding beyond the kernel's reach: the equivalent convolution's is negative
      {2, 6, 5, 5, 7, 3, 3, {.stride = 2, .padding = 3}, true},
      {1, 6, 6, 3, 2, 3, 3, {.padding = Pad2d(3, 2, 1, 3)}, false},
      {1, 1, 1, 2, 3, 3, 3, {.stride = 2}, true},  // one pixel
      // Channel counts and sizes that reach the fast kernels: direct blocked (multiples of
      // 16), the stride phases (16+ channels, stride 2), Winograd (3x3 stride 1, 64+ channels,
      // 128+ tiles), depthwise (groups = O, with C = groups or a multiple of it).
      {2, 7, 6, 16, 32, 3, 3, {.padding = 1}, true},
      {2, 6, 5, 32, 16, 3, 3, {.stride = 2, .padding = 1, .output_padding = 1}, true},
      {1, 5, 7, 24, 20, 4, 4, {.stride = 2, .padding = Pad2d(1, 2, 2, 1)}, false},
      {2, 32, 32, 64, 64, 3, 3, {.padding = 1}, true},
      {2, 9, 8, 16, 16, 3, 3, {.stride = 2, .padding = 1, .output_padding = 1, .groups = 16}, true},
      {1, 5, 5, 8, 4, 3, 3, {.stride = 2, .padding = 1, .groups = 4}, true},
      {1, 6, 6, 32, 32, 3, 3, {.output_padding = 1, .dilation = 2}, true},
  };
  uint64_t seed = 100;
  double worst = 0.0;
  for (const Case& c : cases) {
    SCOPED_TRACE(describe(c));
    const int64_t groups = c.options.groups;
    Tensor x = randn({c.n, c.h, c.w, c.c}, seed++).requires_grad_();
    Tensor w = randn({c.kh, c.kw, c.out_c / groups, c.c}, seed++).requires_grad_();
    Tensor b = c.bias ? randn({c.out_c}, seed++).requires_grad_() : Tensor();
    const Tensor y = conv_transpose2d(x, w, b, c.options);
    const Tensor dy = randn(y.shape(), seed++);
    y.backward(dy);
    const Grads r = reference(x, w, b, dy, c.options);
    ASSERT_EQ(y.shape(), r.y.shape());
    const double errors[] = {relative_error(y, r.y), relative_error(x.grad(), r.dx),
                             relative_error(w.grad(), r.dw),
                             c.bias ? relative_error(b.grad(), r.db) : 0.0};
    // Winograd rounds more than a direct sum (6.6e-6 here, at 576 terms), the others ~1e-7.
    const double tolerance = c.c >= 64 ? 3e-5 : 1e-5;
    for (double e : errors) {
      EXPECT_LT(e, tolerance);
      worst = std::max(worst, e);
    }
  }
  RecordProperty("largest_relative_error", std::to_string(worst));
}

// conv_transpose2d is conv2d's backward data: for y = conv2d(z, W), dz for an upstream x equals
// conv_transpose2d(x, W) with the same options, output_padding taking up the rows the strided
// convolution never reached.
TEST(ConvTranspose2d, IsTheBackwardDataOfConv2d) {
  const Conv2dOptions co{.stride = 2, .padding = Pad2d(1, 0, 2, 1), .dilation = 1, .groups = 2};
  Tensor z = randn({2, 8, 9, 4}, 7).requires_grad_();
  const Tensor w = randn({3, 3, 2, 6}, 8);
  const Tensor y = conv2d(z, w, {}, co);  // [2, 4, 5, 6]
  const Tensor up = randn(y.shape(), 9);
  y.backward(up);
  const Tensor t = conv_transpose2d(
      up, w, {}, {.stride = 2, .padding = co.padding, .output_padding = {0, 1}, .groups = 2});
  ASSERT_EQ(t.shape(), z.shape());
  EXPECT_LT(relative_error(t, z.grad()), 1e-6);
}

TEST(ConvTranspose2d, Gradcheck) {
  const std::vector<Case> cases = {
      {2, 3, 4, 3, 2, 3, 3, {.stride = 2, .padding = 1, .output_padding = 1}, true},
      {1, 4, 3, 4, 6, 2, 3, {.stride = {1, 3}, .padding = Pad2d(0, 1, 2, 0), .groups = 2}, false},
      {1, 3, 3, 2, 2, 3, 2, {.output_padding = {1, 0}, .dilation = 2}, true},
      {2, 3, 3, 3, 3, 3, 3, {.stride = 2, .padding = 1, .groups = 3}, true},
  };
  uint64_t seed = 300;
  for (const Case& c : cases) {
    SCOPED_TRACE(describe(c));
    Tensor x = randn({c.n, c.h, c.w, c.c}, seed++).requires_grad_();
    Tensor w = randn({c.kh, c.kw, c.out_c / c.options.groups, c.c}, seed++).requires_grad_();
    Tensor b = c.bias ? randn({c.out_c}, seed++).requires_grad_() : Tensor();
    const GradcheckResult r = gradcheck(
        [&](const std::vector<Tensor>& in) {
          return conv_transpose2d(in[0], in[1], c.bias ? in[2] : Tensor(), c.options);
        },
        c.bias ? std::vector<Tensor>{x, w, b} : std::vector<Tensor>{x, w});
    EXPECT_TRUE(r.ok) << r.report;
  }
}

TEST(ConvTranspose2d, GradientOnlyForInputsThatRequireIt) {
  Tensor x = randn({1, 3, 3, 2}, 3);
  Tensor w = randn({3, 3, 4, 2}, 4).requires_grad_();
  Tensor b = randn({4}, 5);
  sum(conv_transpose2d(x, w, b, {.stride = 2})).backward();
  EXPECT_TRUE(w.grad().defined());
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(b.grad().defined());
}

TEST(ConvTranspose2d, ErrorsNameTheArgumentAndShapes) {
  const Tensor x = Tensor::zeros({2, 5, 5, 4});
  const Tensor w = Tensor::zeros({3, 3, 3, 4});
  auto error = [](const Tensor& xs, const Tensor& ws, const Tensor& b = {},
                  const ConvTranspose2dOptions& o = {}) {
    return error_of([&] { conv_transpose2d(xs, ws, b, o); });
  };
  auto zeros = [](const Shape& s) { return Tensor::zeros(s); };
  EXPECT_EQ(error(zeros({5, 5, 4}), w),
            "conv_transpose2d: argument 'x' must have rank 4 [batch, rows, cols, channels], got "
            "shape [5, 5, 4]");
  EXPECT_EQ(error(x, zeros({3, 3, 4})),
            "conv_transpose2d: argument 'weight' must have rank 4 [kernel_rows, kernel_cols, "
            "out_channels / groups, in_channels], got shape [3, 3, 4]");
  EXPECT_EQ(error(x, zeros({3, 3, 4, 3})),
            "conv_transpose2d: x has 4 channels but weight of shape [3, 3, 4, 3] expects 3 "
            "(weight is [kernel_rows, kernel_cols, out_channels / groups, in_channels]); x shape "
            "[2, 5, 5, 4]");
  EXPECT_EQ(error(x, w, {}, {.groups = 3}),
            "conv_transpose2d: x has 4 channels, not divisible by groups = 3 (x shape "
            "[2, 5, 5, 4])");
  EXPECT_EQ(error(x, w, {}, {.groups = 0}),
            "conv_transpose2d: option 'groups' must be at least 1, got 0");
  EXPECT_EQ(error(x, w, {}, {.stride = {1, 0}}),
            "conv_transpose2d: option 'stride' must be positive, got (1, 0)");
  EXPECT_EQ(error(x, w, {}, {.padding = Pad2d(0, 0, -1, 0)}),
            "conv_transpose2d: option 'padding' must not be negative, got (top 0, bottom 0, "
            "left -1, right 0)");
  EXPECT_EQ(error(x, w, {}, {.stride = 2, .output_padding = {1, 2}}),
            "conv_transpose2d: option 'output_padding' (1, 2) must be smaller than either the "
            "stride or the dilation in each axis (stride (2, 2), dilation (1, 1))");
  EXPECT_EQ(error(x, w, {}, {.output_padding = -1}),
            "conv_transpose2d: option 'output_padding' must not be negative, got (-1, -1)");
  EXPECT_EQ(error(x, w, zeros({4})),
            "conv_transpose2d: argument 'bias' must have shape [3] (out_channels = weight's 3 x "
            "groups = 1 for weight [3, 3, 3, 4]), got shape [4]");
  EXPECT_EQ(error(zeros({1, 1, 2, 4}), w, {}, {.padding = Pad2d(2, 1, 0, 0)}),
            "conv_transpose2d: padding (top 2, bottom 1, left 0, right 0) crops the whole output "
            "of x of shape [1, 1, 2, 4] with kernel 3x3, stride (1, 1), dilation (1, 1) and "
            "output_padding (0, 0): output size would be 0x4");
  EXPECT_EQ(error(x, zeros({3, 0, 3, 4})),
            "conv_transpose2d: argument 'weight' must have positive extents, got shape "
            "[3, 0, 3, 4]");
  EXPECT_EQ(error(zeros({2, 0, 5, 4}), w),
            "conv_transpose2d: argument 'x' must have at least one row and col, got shape "
            "[2, 0, 5, 4]");
}

}  // namespace
}  // namespace cnn
