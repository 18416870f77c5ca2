// max_pool2d (and max_pool2d_with_indices), avg_pool2d, adaptive_avg_pool2d,
// global_avg_pool2d, global_max_pool2d: output sizes (PyTorch's rules, ceil_mode included),
// hand-computed values, tie-breaking, gradient checks over the options, thread-count
// invariance and argument errors. PyTorch comparisons are in tests/golden/pool_golden_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::randn;

// Distinct values 0.1 apart in random order: a gradient check's steps (eps * |v| below
// about 0.04) cannot reorder two of them, so no window's maximum changes place.
Tensor distinct_values(const Shape& shape, uint64_t seed) {
  const int64_t n = checked_numel(shape);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = 0.1f * static_cast<float>(i - n / 2);
  Generator gen(seed);
  const Tensor keys = Tensor::uniform({n}, 0.0f, 1.0f, gen);
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t{0});
  const float* k = keys.data();
  std::sort(order.begin(), order.end(), [k](size_t a, size_t b) { return k[a] < k[b]; });
  std::vector<float> shuffled(v.size());
  for (size_t i = 0; i < v.size(); ++i) shuffled[i] = v[order[i]];
  return Tensor::from_data(shape, shuffled);
}

Shape spatial(const Tensor& y) {
  return {y.size(1), y.size(2)};
}

// ---- output sizes ----

struct SizeCase {
  int64_t h, w;
  MaxPool2dOptions options;
  int64_t out_h, out_w;  // PyTorch's F.max_pool2d output size
};

TEST(PoolShape, MaxPoolMatchesPyTorchSizes) {
  const SizeCase cases[] = {
      {8, 8, {.kernel = 2}, 4, 4},
      {7, 7, {.kernel = 2}, 3, 3},
      {7, 7, {.kernel = 2, .ceil_mode = true}, 4, 4},
      {6, 6, {.kernel = 3, .stride = 2, .padding = 1}, 3, 3},
      {6, 6, {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true}, 4, 4},
      // ceil_mode's fourth window would start in the right padding (6 >= 5 + 1): dropped.
      {5, 5, {.kernel = 2, .stride = 2, .padding = 1, .ceil_mode = true}, 3, 3},
      // ceil_mode accepts a kernel one cell larger than the input when stride > 1.
      {2, 2, {.kernel = 3, .stride = 2, .ceil_mode = true}, 1, 1},
      {9, 7, {.kernel = {3, 2}, .stride = {2, 1}, .padding = {1, 0}, .dilation = {2, 3}}, 4, 4},
      {10, 8, {.kernel = 3, .stride = 2, .padding = 1, .dilation = 2, .ceil_mode = true}, 5, 4},
      {112, 112, {.kernel = 3, .stride = 2, .padding = 1}, 56, 56},
      {55, 55, {.kernel = 3, .stride = 2, .ceil_mode = true}, 27, 27},
      {1, 1, {.kernel = 1}, 1, 1},
      // Asymmetric padding: rows 5 + 1 + 0, columns 4 + 0 + 1.
      {5, 4, {.kernel = 3, .stride = 2, .padding = {1, 0, 0, 1}}, 2, 2},
  };
  for (const SizeCase& c : cases) {
    const Tensor y = max_pool2d(Tensor::zeros({1, c.h, c.w, 2}), c.options);
    EXPECT_EQ(y.shape(), (Shape{1, c.out_h, c.out_w, 2})) << c.h << "x" << c.w;
    AvgPool2dOptions avg{.kernel = c.options.kernel,
                         .stride = c.options.stride,
                         .padding = c.options.padding,
                         .ceil_mode = c.options.ceil_mode};
    if (c.options.dilation == Size2(1)) {  // avg_pool2d has no dilation
      EXPECT_EQ(spatial(avg_pool2d(Tensor::zeros({1, c.h, c.w, 2}), avg)),
                (Shape{c.out_h, c.out_w}));
    }
  }
}

TEST(PoolShape, AdaptiveAndGlobal) {
  EXPECT_EQ(adaptive_avg_pool2d(Tensor::zeros({2, 7, 5, 3}), {3, 2}).shape(), (Shape{2, 3, 2, 3}));
  EXPECT_EQ(adaptive_avg_pool2d(Tensor::zeros({1, 2, 3, 1}), {5, 4}).shape(), (Shape{1, 5, 4, 1}));
  EXPECT_EQ(global_avg_pool2d(Tensor::zeros({4, 7, 6, 5})).shape(), (Shape{4, 1, 1, 5}));
  EXPECT_EQ(max_pool2d(Tensor::zeros({0, 4, 4, 2}), {.kernel = 2}).shape(), (Shape{0, 2, 2, 2}));
}

// ---- values ----

TEST(MaxPool, ValuesAndGradientOnAHandExample) {
  // One 4x4 channel, kernel 2, stride 2: each window's maximum and where its gradient goes.
  Tensor x = Tensor::from_data({1, 4, 4, 1}, {1, 5, 2, 0,      //
                                              3, 4, 8, 7,      //
                                              -1, -2, -3, -4,  //
                                              -6, -5, -8, -7})
                 .requires_grad_();
  Tensor y = max_pool2d(x, {.kernel = 2});
  EXPECT_EQ(y.to_vector(), (std::vector<float>{5, 8, -1, -3}));
  y.backward(Tensor::from_data({1, 2, 2, 1}, {1, 2, 3, 4}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0, 1, 0, 0,  //
                                                      0, 0, 2, 0,  //
                                                      3, 0, 4, 0,  //
                                                      0, 0, 0, 0}));
}

TEST(MaxPool, PaddingNeverWinsAndTiesGoToTheFirstCell) {
  // All values -3: a zero padding would win; PyTorch's padding is -inf.
  Tensor neg = Tensor::full({1, 2, 2, 1}, -3.0f);
  EXPECT_EQ(max_pool2d(neg, {.kernel = 3, .stride = 1, .padding = 1}).to_vector(),
            (std::vector<float>(4, -3.0f)));
  // Equal values, overlapping windows: each window's gradient goes to its top-left cell.
  Tensor x = Tensor::zeros({1, 4, 4, 1}).requires_grad_();
  sum(max_pool2d(x, {.kernel = 2, .stride = 1})).backward();
  EXPECT_EQ(x.grad().to_vector(),
            (std::vector<float>{1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0}));
}

TEST(MaxPool, WindowOfPaddingOnlyGivesMinusInfinityAndNoGradient) {
  // Rows -1 and 1 of a one-row input (kernel 2, dilation 2, padding 1): both are padding.
  Tensor x = Tensor::full({1, 1, 1, 1}, 2.0f).requires_grad_();
  Tensor y = max_pool2d(x, {.kernel = {2, 1}, .stride = 1, .padding = {1, 0}, .dilation = {2, 1}});
  EXPECT_EQ(y.to_vector(), (std::vector<float>{-INFINITY}));
  y.backward(Tensor::ones({1, 1, 1, 1}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0}));
}

// ---- max_pool2d_with_indices, global_max_pool2d ----

TEST(MaxPoolWithIndices, IndicesNameTheWinnerWithinItsImageAndChannel) {
  // The hand example above, with a second channel holding its negation: per channel,
  // indices are ih * W + iw of the winner (PyTorch's flat index in an NCHW plane).
  const std::vector<float> plane = {1, 5, 2, 0, 3, 4, 8, 7, -1, -2, -3, -4, -6, -5, -8, -7};
  std::vector<float> v;
  for (float e : plane) v.insert(v.end(), {e, -e});
  Tensor x = Tensor::from_data({1, 4, 4, 2}, v).requires_grad_();
  const auto [y, indices] = max_pool2d_with_indices(x, {.kernel = 2});
  EXPECT_EQ(y.to_vector(), (std::vector<float>{5, -1, 8, 0, -1, 6, -3, 8}));
  EXPECT_EQ(indices.dtype(), DType::i64);
  EXPECT_EQ(indices.shape(), y.shape());
  EXPECT_FALSE(indices.requires_grad());
  EXPECT_EQ(indices.to_vector_i64(), (std::vector<int64_t>{1, 0, 6, 3, 8, 12, 10, 14}));
  // y's gradient is max_pool2d's.
  y.backward(Tensor::from_data({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}));
  Tensor x2 = x.detach().clone().requires_grad_();
  max_pool2d(x2, {.kernel = 2}).backward(Tensor::from_data({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_TRUE(testing::bit_identical(x.grad(), x2.grad()));
}

TEST(MaxPoolWithIndices, TiesNaNAndEmptyWindowsAsPyTorch) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // One window over [1, nan, nan, 0] and one over [nan, 5, nan]: PyTorch names the last NaN.
  const Tensor a = Tensor::from_data({1, 1, 4, 1}, {1, nan, nan, 0});
  EXPECT_EQ(max_pool2d_with_indices(a, {.kernel = {1, 4}}).indices.to_vector_i64(),
            (std::vector<int64_t>{2}));
  // Ties: the first maximum in row-major order, per window (kernel 2, stride 1 over zeros).
  const auto ties =
      max_pool2d_with_indices(Tensor::zeros({1, 3, 3, 1}), {.kernel = 2, .stride = 1});
  EXPECT_EQ(ties.indices.to_vector_i64(), (std::vector<int64_t>{0, 1, 3, 4}));
  // All -inf: the window's first input cell (PyTorch: 0 for every window of a padded 2x2).
  const auto inf = max_pool2d_with_indices(Tensor::full({1, 2, 2, 1}, -INFINITY),
                                           {.kernel = 3, .stride = 1, .padding = 1});
  EXPECT_EQ(inf.indices.to_vector_i64(), (std::vector<int64_t>(4, 0)));
  // A window of padding only: -inf and -1 (PyTorch reports 1, outside the 1x1 image).
  const auto pad = max_pool2d_with_indices(
      Tensor::full({1, 1, 1, 1}, 2.0f),
      {.kernel = {2, 1}, .stride = 1, .padding = {1, 0}, .dilation = {2, 1}});
  EXPECT_EQ(pad.y.to_vector(), (std::vector<float>{-INFINITY}));
  EXPECT_EQ(pad.indices.to_vector_i64(), (std::vector<int64_t>{-1}));
}

// y and its gradient are max_pool2d's, bit for bit, over the options of MaxPool.Gradcheck;
// every index names a cell of its window that holds y.
TEST(MaxPoolWithIndices, SameAsMaxPool2dOverTheOptions) {
  const MaxPool2dOptions cases[] = {
      {.kernel = 2},
      {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true},
      {.kernel = {2, 3}, .stride = {1, 2}, .padding = {1, 1}, .dilation = {2, 1}},
      {.kernel = 3, .stride = 2, .padding = {0, 1, 1, 0}, .ceil_mode = true},
  };
  const Tensor x = randn({2, 7, 6, 3}, 600);
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    Tensor xa = x.clone().requires_grad_(), xb = x.clone().requires_grad_();
    const auto [y, indices] = max_pool2d_with_indices(xa, cases[i]);
    const Tensor yb = max_pool2d(xb, cases[i]);
    EXPECT_TRUE(testing::bit_identical(y, yb));
    const Tensor dy = randn(y.shape(), 601 + i);
    y.backward(dy);
    yb.backward(dy);
    EXPECT_TRUE(testing::bit_identical(xa.grad(), xb.grad()));
    const std::vector<int64_t> idx = indices.to_vector_i64();
    const std::vector<float> yv = y.to_vector();
    const int64_t OH = y.size(1), OW = y.size(2), C = 3;
    for (size_t k = 0; k < idx.size(); ++k) {
      const int64_t c = static_cast<int64_t>(k) % C;
      const int64_t n = static_cast<int64_t>(k) / (C * OH * OW);
      ASSERT_GE(idx[k], 0);
      ASSERT_LT(idx[k], 7 * 6);
      EXPECT_EQ(x.at({n, idx[k] / 6, idx[k] % 6, c}), yv[k]) << k;
    }
  }
  NoGradGuard guard;
  const auto no_grad = max_pool2d_with_indices(x, cases[1]);
  EXPECT_TRUE(testing::bit_identical(no_grad.y, max_pool2d(x, cases[1])));
}

TEST(GlobalMaxPool, MaximumPerImageAndChannelGradientToTheFirst) {
  // Channel 0 holds 1..6 with a tie at the maximum, channel 1 the negation.
  const std::vector<float> c0 = {1, 6, 3, 6, 2, 5};
  std::vector<float> v;
  for (float e : c0) v.insert(v.end(), {e, -e});
  Tensor x = Tensor::from_data({1, 2, 3, 2}, v).requires_grad_();
  const Tensor y = global_max_pool2d(x);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 1, 2}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{6, -1}));
  y.backward(Tensor::from_data({1, 1, 1, 2}, {2, 3}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  // Against max_pool2d with the image as its kernel, and adaptive bins of one.
  const Tensor t = randn({3, 5, 7, 4}, 700);
  EXPECT_TRUE(testing::bit_identical(global_max_pool2d(t), max_pool2d(t, {.kernel = {5, 7}})));
  EXPECT_TRUE(testing::bit_identical(global_max_pool2d(Tensor::full({1, 1, 1, 3}, 2.0f)),
                                     Tensor::full({1, 1, 1, 3}, 2.0f)));
}

TEST(AvgPool, DivisorsFollowPyTorch) {
  const Tensor ones = Tensor::ones({1, 6, 1, 1});
  // Kernel 3, stride 2, padding 1, ceil_mode: windows [-1, 2), [1, 4), [3, 6), [5, 8) over a
  // padded input [-1, 7). count_include_pad counts the padded cells -1 and 6 but not 7.
  const AvgPool2dOptions base{
      .kernel = {3, 1}, .stride = {2, 1}, .padding = {1, 0}, .ceil_mode = true};
  EXPECT_EQ(avg_pool2d(ones, base).to_vector(), (std::vector<float>{2.0f / 3, 1, 1, 0.5f}));
  AvgPool2dOptions exclude = base;
  exclude.count_include_pad = false;
  EXPECT_EQ(avg_pool2d(ones, exclude).to_vector(), (std::vector<float>{1, 1, 1, 1}));
  // Asymmetric padding: top 1 (counted), bottom 0.
  EXPECT_EQ(avg_pool2d(ones, {.kernel = {2, 1}, .padding = {1, 0, 0, 0}}).to_vector(),
            (std::vector<float>{0.5f, 1, 1}));
}

TEST(AdaptiveAvgPool, OverlappingBins) {
  // Rows 0..4 into 3 bins: [0, 2), [1, 4), [3, 5) (floor(i*5/3), ceil((i+1)*5/3)).
  const Tensor x = Tensor::from_data({1, 5, 1, 1}, {1, 2, 3, 4, 5});
  EXPECT_EQ(adaptive_avg_pool2d(x, {3, 1}).to_vector(), (std::vector<float>{1.5f, 3, 4.5f}));
  EXPECT_EQ(global_avg_pool2d(x).to_vector(), (std::vector<float>{3}));
}

// ---- gradients ----

using PoolFn = std::function<Tensor(const Tensor&)>;

void expect_gradcheck(const PoolFn& f, const Tensor& x, const std::string& what) {
  Tensor input = x.clone().detach().requires_grad_();
  auto r = gradcheck([&](const std::vector<Tensor>& in) { return f(in[0]); }, {input});
  EXPECT_TRUE(r.ok) << what << "\n" << r.report;
}

TEST(MaxPool, Gradcheck) {
  const MaxPool2dOptions cases[] = {
      {.kernel = 2},
      {.kernel = 3, .stride = 1},
      {.kernel = 3, .stride = 2, .padding = 1},
      {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true},
      {.kernel = {2, 3}, .stride = {1, 2}, .padding = {1, 1}, .dilation = {2, 1}},
      {.kernel = 3, .stride = 2, .padding = {0, 1, 1, 0}, .ceil_mode = true},
  };
  for (size_t i = 0; i < std::size(cases); ++i)
    expect_gradcheck([o = cases[i]](const Tensor& x) { return max_pool2d(x, o); },
                     distinct_values({2, 7, 6, 3}, 100 + i),
                     "max_pool2d case " + std::to_string(i));
}

TEST(AvgPool, Gradcheck) {
  int i = 0;
  for (bool include : {true, false})
    for (const AvgPool2dOptions& o : std::vector<AvgPool2dOptions>{
             {.kernel = 2},
             {.kernel = 3, .stride = 2, .padding = 1},
             {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true},
             {.kernel = {3, 2}, .stride = {1, 2}, .padding = {0, 1, 1, 0}, .ceil_mode = true},
         }) {
      AvgPool2dOptions opt = o;
      opt.count_include_pad = include;
      expect_gradcheck([opt](const Tensor& x) { return avg_pool2d(x, opt); },
                       randn({2, 6, 7, 3}, 200), "avg_pool2d case " + std::to_string(i++));
    }
}

TEST(AdaptiveAvgPool, Gradcheck) {
  for (Size2 out : {Size2(3, 2), Size2(2), Size2(5, 8)})
    expect_gradcheck([out](const Tensor& x) { return adaptive_avg_pool2d(x, out); },
                     randn({2, 4, 7, 3}, 300), "adaptive_avg_pool2d");
  expect_gradcheck([](const Tensor& x) { return global_avg_pool2d(x); }, randn({2, 5, 3, 4}, 301),
                   "global_avg_pool2d");
}

TEST(GlobalMaxPoolAndWithIndices, Gradcheck) {
  expect_gradcheck([](const Tensor& x) { return global_max_pool2d(x); },
                   distinct_values({2, 5, 3, 4}, 701), "global_max_pool2d");
  expect_gradcheck(
      [](const Tensor& x) { return max_pool2d_with_indices(x, {.kernel = 3, .stride = 2}).y; },
      distinct_values({2, 7, 6, 3}, 702), "max_pool2d_with_indices");
}

// ---- threading and grad mode ----

TEST(Pool, ResultsDoNotDependOnTheThreadCount) {
  const Tensor x = randn({3, 33, 17, 5}, 400);
  const Tensor dy = randn({3, 17, 9, 5}, 401);
  auto run = [&](int threads) {
    set_num_threads(threads);
    std::vector<Tensor> out;
    for (int op = 0; op < 2; ++op) {
      Tensor xi = x.clone().requires_grad_();
      Tensor y = op == 0 ? max_pool2d(xi, {.kernel = 3, .stride = 2, .padding = 1})
                         : avg_pool2d(xi, {.kernel = 3, .stride = 2, .padding = 1});
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

TEST(MaxPool, SameOutputWithoutGrad) {
  const Tensor x = distinct_values({2, 5, 5, 3}, 500);
  const Tensor with_grad = max_pool2d(x.clone().requires_grad_(), {.kernel = 2, .ceil_mode = true});
  NoGradGuard guard;
  EXPECT_TRUE(testing::bit_identical(max_pool2d(x, {.kernel = 2, .ceil_mode = true}), with_grad));
}

// ---- argument errors ----

void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning '" << parts.front() << "'";
  } catch (const Error& e) {
    for (const auto& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(PoolErrors, MessagesNameTheOpTheArgumentAndTheShape) {
  const Tensor x = Tensor::zeros({1, 4, 5, 2});
  expect_error(
      [] {
        max_pool2d(Tensor::zeros({3, 5}), {.kernel = 2});
      },
      {"max_pool2d: argument 'x' must have rank 4 [batch, rows, cols, channels], got shape [3, "
       "5]"});
  expect_error(
      [] {
        avg_pool2d(Tensor::zeros({1, 0, 5, 2}), {.kernel = 1});
      },
      {"avg_pool2d: argument 'x' must have at least one row and one column", "[1, 0, 5, 2]"});
  expect_error(
      [&] {
        max_pool2d(x, {.kernel = {0, 2}});
      },
      {"max_pool2d: kernel must be at least 1, got (0, 2) for x of shape [1, 4, 5, 2]"});
  expect_error([&] { avg_pool2d(x, {.kernel = 2, .stride = -1}); },
               {"avg_pool2d: stride must be at least 1", "got (-1, -1)", "[1, 4, 5, 2]"});
  expect_error(
      [&] {
        max_pool2d(x, {.kernel = 2, .dilation = {1, 0}});
      },
      {"max_pool2d: dilation must be at least 1, got (1, 0)"});
  expect_error([&] { max_pool2d(x, {.kernel = 3, .padding = -1}); },
               {"max_pool2d: padding must be non-negative"});
  expect_error(
      [&] {
        max_pool2d(x, {.kernel = 3, .padding = {0, 2, 0, 0}});
      },
      {"max_pool2d: padding (top 0, bottom 2, left 0, right 0) must be at most half the "
       "kernel (3, 3) on each side, for x of shape [1, 4, 5, 2]"});
  expect_error(
      [&] {
        avg_pool2d(x, {.kernel = {2, 6}});
      },
      {"avg_pool2d: output size (2, 0) is empty: kernel (2, 6)", "x of shape [1, 4, 5, 2]"});
  expect_error([&] { max_pool2d(x, {.kernel = 2, .dilation = 5}); },
               {"max_pool2d: output size (0, 0) is empty", "dilation (5, 5)"});
  expect_error(
      [&] {
        adaptive_avg_pool2d(x, {0, 3});
      },
      {"adaptive_avg_pool2d: output_size must be at least 1, got (0, 3) for x of shape [1, 4, 5, "
       "2]"});
  expect_error(
      [] {
        global_avg_pool2d(Tensor::zeros({4, 2}));
      },
      {"global_avg_pool2d: argument 'x' must have rank 4", "[4, 2]"});
  expect_error(
      [] {
        max_pool2d(Tensor::zeros({1, 2, 2, 1}, DType::i64), {.kernel = 2});
      },
      {"max_pool2d: argument 'x' must be float32"});
  expect_error(
      [] {
        global_max_pool2d(Tensor::zeros({4, 2}));
      },
      {"global_max_pool2d: argument 'x' must have rank 4", "[4, 2]"});
  expect_error(
      [] {
        global_max_pool2d(Tensor::zeros({1, 3, 0, 2}));
      },
      {"global_max_pool2d: argument 'x' must have at least one row and one column",
       "[1, 3, 0, 2]"});
  expect_error([&] { max_pool2d_with_indices(x, {.kernel = 2, .dilation = 5}); },
               {"max_pool2d_with_indices: output size (0, 0) is empty", "dilation (5, 5)"});
  expect_error(
      [] {
        max_pool2d_with_indices(Tensor::zeros({3, 5}), {.kernel = 2});
      },
      {"max_pool2d_with_indices: argument 'x' must have rank 4", "[3, 5]"});
}

}  // namespace
}  // namespace cnn
