// concat, split, channel_shuffle, pad2d, shortcut_identity: every output element checked
// against the index formula it implements, gradients by finite differences over the options,
// and the error messages for wrong arguments.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "cnn/cnn.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using cnn::testing::error_of;

using testing::bit_identical;
using testing::randn;
using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Calls check(n, y, x, c) for every index of a [N, H, W, C] shape.
void for_each_index(const Shape& s,
                    const std::function<void(int64_t, int64_t, int64_t, int64_t)>& check) {
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t y = 0; y < s[1]; ++y)
      for (int64_t x = 0; x < s[2]; ++x)
        for (int64_t c = 0; c < s[3]; ++c) check(n, y, x, c);
}

void expect_gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs) {
  const GradcheckResult r = gradcheck(f, inputs);
  EXPECT_TRUE(r.ok) << r.report;
}

// ---- concat ----

TEST(Concat, ChannelsFollowTheLectureFormula) {
  // L[b, x, y, J1 + J2] = L1 ; L2: channels j < J1 from L1, the rest from L2.
  const Tensor l1 = randn({2, 3, 5, 4}, 1), l2 = randn({2, 3, 5, 3}, 2);
  const Tensor l = concat({l1, l2});
  ASSERT_EQ(l.shape(), (Shape{2, 3, 5, 7}));
  for_each_index(l.shape(), [&](int64_t b, int64_t x, int64_t y, int64_t j) {
    const float want = j < 4 ? l1.at({b, x, y, j}) : l2.at({b, x, y, j - 4});
    ASSERT_EQ(l.at({b, x, y, j}), want) << b << ' ' << x << ' ' << y << ' ' << j;
  });
}

TEST(Concat, AnyDimensionAndNonContiguousInputs) {
  const Tensor a = randn({2, 3, 4}, 3), b = randn({2, 1, 4}, 4);
  const Tensor c = randn({4, 2, 3}, 5).permute({1, 2, 0});  // [2, 3, 4], strided
  const Tensor rows = concat({a, b, randn({2, 0, 4}, 6)}, 1);
  ASSERT_EQ(rows.shape(), (Shape{2, 4, 4}));
  const Tensor batch = concat({a, c}, 0);
  ASSERT_EQ(batch.shape(), (Shape{4, 3, 4}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t k = 0; k < 4; ++k)
        EXPECT_EQ(rows.at({i, j, k}), j < 3 ? a.at({i, j, k}) : b.at({i, j - 3, k}));
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k)
        EXPECT_EQ(batch.at({i, j, k}), i < 2 ? a.at({i, j, k}) : c.at({i - 2, j, k}));
}

TEST(Concat, Gradients) {
  const Tensor a = randn({1, 3, 2, 4}, 7).requires_grad_();
  const Tensor b = randn({1, 3, 2, 2}, 8);  // needs no gradient
  const Tensor c = randn({1, 3, 2, 5}, 9).requires_grad_();
  expect_gradcheck([](const std::vector<Tensor>& in) { return concat(in); }, {a, b, c});
  const Tensor d = randn({2, 2, 3}, 10).requires_grad_(), e = randn({2, 1, 3}, 11).requires_grad_();
  expect_gradcheck([](const std::vector<Tensor>& in) { return square(concat(in, -2)); }, {d, e});
  expect_gradcheck([](const std::vector<Tensor>& in) { return concat({in[0], in[0]}, 0); }, {d});
}

TEST(Concat, Errors) {
  EXPECT_EQ(error_of([] { concat({}); }),
            "concat: argument 'xs' is an empty list; give at least one tensor");
  EXPECT_EQ(error_of([] {
              concat({Tensor::zeros({2, 3, 4, 8}), Tensor::zeros({2, 5, 4, 3})});
            }),
            "concat: xs[1] of shape [2, 5, 4, 3] does not match xs[0] of shape [2, 3, 4, 8] in "
            "dimension 1 (only dimension 3, the one concatenated, may differ)");
  EXPECT_EQ(error_of([] {
              concat({Tensor::zeros({2, 3}), Tensor::zeros({2, 3}), Tensor::zeros({2, 3, 1})}, 0);
            }),
            "concat: xs[2] of shape [2, 3, 1] has rank 3 but xs[0] of shape [2, 3] has rank 2");
  EXPECT_EQ(error_of([] {
              concat({Tensor::zeros({2, 3})}, 2);
            }),
            "concat: dimension 2 is out of range for 'xs[0]' of shape [2, 3] (rank 2)");
  EXPECT_EQ(error_of([] {
              concat({Tensor::zeros({2}), Tensor()});
            }),
            "concat: argument 'xs[1]' is an undefined tensor");
  EXPECT_EQ(error_of([] { concat({Tensor::scalar(1.0f)}); }),
            "concat: argument 'xs[0]' must have rank >= 1, got shape []");
}

// ---- split ----

TEST(Split, PiecesFollowTheFormulaAndInvertConcat) {
  const Tensor x = randn({2, 3, 5, 6}, 12);
  const auto pieces = split(x, {2, 0, 4});
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[1].shape(), (Shape{2, 3, 5, 0}));
  for_each_index(pieces[2].shape(), [&](int64_t b, int64_t i, int64_t j, int64_t c) {
    ASSERT_EQ(pieces[2].at({b, i, j, c}), x.at({b, i, j, c + 2}));
  });
  EXPECT_TRUE(bit_identical(concat(pieces), x));
  const auto rows = split(x.permute({0, 2, 1, 3}), {1, 3, 1}, 1);  // strided input
  EXPECT_TRUE(bit_identical(concat(rows, 1), x.permute({0, 2, 1, 3}).contiguous()));
}

TEST(Split, GradientsIncludingPiecesNoGradientReaches) {
  const Tensor x = randn({2, 3, 2, 7}, 13).requires_grad_();
  // Piece 1 is unused: its gradient must be zero. The others are reordered and scaled.
  expect_gradcheck(
      [](const std::vector<Tensor>& in) {
        const auto p = split(in[0], {3, 2, 2});
        return concat({square(p[2]), p[0] * 2.0f});
      },
      {x});
  expect_gradcheck([](const std::vector<Tensor>& in) { return split(in[0], {1, 2}, 1)[1]; }, {x});
  // The zero gradient of an unused piece, exactly.
  const auto p = split(x, {3, 4});
  sum(p[0]).backward();
  for_each_index(x.shape(), [&](int64_t n, int64_t i, int64_t j, int64_t c) {
    ASSERT_EQ(x.grad().at({n, i, j, c}), c < 3 ? 1.0f : 0.0f);
  });
}

TEST(Split, Errors) {
  const Tensor x = Tensor::zeros({2, 4, 4, 6});
  EXPECT_EQ(error_of([&] {
              split(x, {2, 3});
            }),
            "split: sizes [2, 3] do not sum to the extent 6 of dimension 3 of x of shape "
            "[2, 4, 4, 6]");
  EXPECT_EQ(error_of([&] {
              split(x, {4, 4}, 1);
            }),
            "split: sizes [4, 4] do not sum to the extent 4 of dimension 1 of x of shape "
            "[2, 4, 4, 6]");
  EXPECT_EQ(error_of([&] {
              split(x, {INT64_MAX, INT64_MAX, 2});
            }),
            "split: sizes [9223372036854775807, 9223372036854775807, 2] do not sum to the extent "
            "6 of dimension 3 of x of shape [2, 4, 4, 6]");
  EXPECT_EQ(error_of([&] {
              split(x, {8, -2});
            }),
            "split: sizes[1] is -2 in sizes [8, -2]; sizes must be non-negative (x of shape "
            "[2, 4, 4, 6])");
  EXPECT_EQ(error_of([&] { split(x, {}); }),
            "split: argument 'sizes' is empty (x of shape [2, 4, 4, 6], dimension 3)");
  EXPECT_EQ(error_of([&] { split(x, {6}, -5); }),
            "split: dimension -5 is out of range for 'x' of shape [2, 4, 4, 6] (rank 4)");
}

// ---- channel_shuffle ----

TEST(ChannelShuffle, FollowsTheFormulaAndInverts) {
  // C = 6, groups = 2: channels [0 1 2 | 3 4 5] interleave to [0 3 1 4 2 5].
  const Tensor ramp = Tensor::from_data({1, 1, 1, 6}, {0, 1, 2, 3, 4, 5});
  EXPECT_EQ(channel_shuffle(ramp, 2).to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  const Tensor x = randn({2, 3, 5, 12}, 14);
  for (int64_t g : {1, 3, 4, 12}) {
    const Tensor y = channel_shuffle(x, g);
    const int64_t per = 12 / g;
    for_each_index(x.shape(), [&](int64_t n, int64_t i, int64_t j, int64_t c) {
      const int64_t group = c % g, k = c / g;  // out channel k * g + group
      ASSERT_EQ(y.at({n, i, j, c}), x.at({n, i, j, group * per + k})) << "groups " << g;
    });
    EXPECT_TRUE(bit_identical(channel_shuffle(y, per), x)) << "groups " << g;
  }
}

TEST(ChannelShuffle, Gradients) {
  const Tensor x = randn({1, 3, 2, 6}, 15).requires_grad_();
  for (int64_t g : {2, 3, 6})
    expect_gradcheck(
        [g](const std::vector<Tensor>& in) { return square(channel_shuffle(in[0], g)); }, {x});
}

TEST(ChannelShuffle, Errors) {
  EXPECT_EQ(error_of([] {
              channel_shuffle(Tensor::zeros({2, 3, 3, 6}), 4);
            }),
            "channel_shuffle: the 6 channels of x of shape [2, 3, 3, 6] are not divisible by "
            "groups = 4");
  EXPECT_EQ(error_of([] {
              channel_shuffle(Tensor::zeros({2, 3, 3, 6}), 0);
            }),
            "channel_shuffle: argument 'groups' must be positive, got 0 (x of shape [2, 3, 3, 6])");
  EXPECT_EQ(error_of([] {
              channel_shuffle(Tensor::zeros({3, 6}), 2);
            }),
            "channel_shuffle: argument 'x' must have rank 4 [batch, rows, cols, channels], got "
            "shape [3, 6]");
}

// ---- pad2d ----

TEST(Pad2d, PadsAndCropsByTheFormula) {
  const Tensor x = randn({2, 3, 4, 5}, 16);
  for (const Pad2d p :
       {Pad2d(1), Pad2d(2, 0), Pad2d(0, 3, 1, 2), Pad2d(-1, 2, 1, -2), Pad2d(-1, -2, -3, 0)}) {
    const Tensor y = pad2d(x, p, -7.5f);
    ASSERT_EQ(y.shape(), (Shape{2, 3 + p.top + p.bottom, 4 + p.left + p.right, 5})) << p;
    for_each_index(y.shape(), [&](int64_t n, int64_t i, int64_t j, int64_t c) {
      const int64_t si = i - p.top, sj = j - p.left;
      const bool inside = si >= 0 && si < 3 && sj >= 0 && sj < 4;
      ASSERT_EQ(y.at({n, i, j, c}), inside ? x.at({n, si, sj, c}) : -7.5f) << p;
    });
  }
  // Padding then cropping by the same amounts gives x back.
  const Pad2d p(1, 2, 0, 3);
  EXPECT_TRUE(bit_identical(pad2d(pad2d(x, p), {-1, -2, 0, -3}), x));
}

TEST(Pad2d, Gradients) {
  const Tensor x = randn({2, 3, 4, 2}, 17).requires_grad_();
  for (const Pad2d p : {Pad2d(1), Pad2d(0, 2, 3, 1), Pad2d(-1, 1, 2, -3)})
    expect_gradcheck([p](const std::vector<Tensor>& in) { return square(pad2d(in[0], p, 0.5f)); },
                     {x});
}

TEST(Pad2d, Errors) {
  EXPECT_EQ(error_of([] {
              pad2d(Tensor::zeros({1, 3, 4, 2}), {-2, -2, 0, 0});
            }),
            "pad2d: padding (top -2, bottom -2, left 0, right 0) leaves -1 rows of x of shape "
            "[1, 3, 4, 2]");
  EXPECT_EQ(error_of([] {
              pad2d(Tensor::zeros({1, 3, 4, 2}), {0, 0, -5, 0});
            }),
            "pad2d: padding (top 0, bottom 0, left -5, right 0) leaves -1 cols of x of shape "
            "[1, 3, 4, 2]");
  EXPECT_EQ(error_of([] {
              pad2d(Tensor::zeros({1, 3, 4, 2}), {0, INT64_MAX, 0, 0});
            }),
            "pad2d: padding (top 0, bottom 9223372036854775807, left 0, right 0) leaves an "
            "overflowing number of rows of x of shape [1, 3, 4, 2]");
  EXPECT_EQ(error_of([] {
              pad2d(Tensor::zeros({3, 4, 2}), 1);
            }),
            "pad2d: argument 'x' must have rank 4 [batch, rows, cols, channels], got shape "
            "[3, 4, 2]");
}

// ---- pad2d with a mode ----

// The source index of padded position i - before along an axis of `extent`, by reflecting (or
// clamping) until it lands inside: the definition rather than the kernel's closed form.
int64_t source_of(int64_t i, int64_t extent, PadMode mode) {
  if (mode == PadMode::edge) return i < 0 ? 0 : i >= extent ? extent - 1 : i;
  while (i < 0 || i >= extent) i = i < 0 ? -i : 2 * (extent - 1) - i;
  return i;
}

TEST(Pad2dMode, ReflectAndEdgeOnARow) {
  const Tensor x = Tensor::from_data({1, 1, 3, 1}, {1, 2, 3});
  EXPECT_EQ(pad2d(x, {0, 0, 2, 2}, {.mode = PadMode::reflect}).to_vector(),
            (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(pad2d(x, {0, 0, 2, 1}, {.mode = PadMode::edge}).to_vector(),
            (std::vector<float>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(pad2d(x, {0, 0, -1, 1}, {.mode = PadMode::reflect}).to_vector(),
            (std::vector<float>{2, 3, 2}));
  // Rows too: reflect mirrors the 2 x 2 image [[1, 2], [3, 4]] about its first row and column.
  const Tensor sq = Tensor::from_data({1, 2, 2, 1}, {1, 2, 3, 4});
  EXPECT_EQ(pad2d(sq, {1, 0, 1, 0}, {.mode = PadMode::reflect}).to_vector(),
            (std::vector<float>{4, 3, 4, 2, 1, 2, 4, 3, 4}));
}

TEST(Pad2dMode, PadsAndCropsByTheFormula) {
  const Tensor x = randn({2, 3, 4, 5}, 21);
  for (const PadMode mode : {PadMode::reflect, PadMode::edge})
    for (const Pad2d p : {Pad2d(1), Pad2d(2, 0, 3, 1), Pad2d(0, 2, 0, 3), Pad2d(-1, 2, 1, -2),
                          Pad2d(2, -1, -3, 3)}) {
      const Tensor y = pad2d(x, p, {.mode = mode, .value = 99.0f});
      ASSERT_EQ(y.shape(), (Shape{2, 3 + p.top + p.bottom, 4 + p.left + p.right, 5})) << p;
      for_each_index(y.shape(), [&](int64_t n, int64_t i, int64_t j, int64_t c) {
        const int64_t si = source_of(i - p.top, 3, mode), sj = source_of(j - p.left, 4, mode);
        ASSERT_EQ(y.at({n, i, j, c}), x.at({n, si, sj, c})) << p;
      });
    }
  // The edge mode repeats far beyond the extent; a 1 x 1 image becomes a constant.
  const Tensor one = Tensor::from_data({1, 1, 1, 2}, {5, -1});
  const Tensor big = pad2d(one, {3, 2, 0, 4}, {.mode = PadMode::edge});
  ASSERT_EQ(big.shape(), (Shape{1, 6, 5, 2}));
  for_each_index(big.shape(), [&](int64_t n, int64_t i, int64_t j, int64_t c) {
    ASSERT_EQ(big.at({n, i, j, c}), c == 0 ? 5.0f : -1.0f);
  });
  // The constant mode is pad2d with a value.
  EXPECT_TRUE(
      bit_identical(pad2d(x, {1, 0, 2, -1}, {.value = 2.5f}), pad2d(x, {1, 0, 2, -1}, 2.5f)));
}

TEST(Pad2dMode, GradientSumsTheCopiesOfEachElement) {
  // Edge padding (0, 0, 2, 1) of [a, b, c] reads a three times and c twice.
  Tensor x = Tensor::from_data({1, 1, 3, 1}, {1, 2, 3}).requires_grad_();
  sum(pad2d(x, {0, 0, 2, 1}, {.mode = PadMode::edge})).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{3, 1, 2}));
  // Reflect (0, 0, 2, 2) reads [c, b, a, b, c, b, a]: a twice, b three times, c twice.
  Tensor x2 = Tensor::from_data({1, 1, 3, 1}, {1, 2, 3}).requires_grad_();
  sum(pad2d(x2, {0, 0, 2, 2}, {.mode = PadMode::reflect})).backward();
  EXPECT_EQ(x2.grad().to_vector(), (std::vector<float>{2, 3, 2}));
}

TEST(Pad2dMode, Gradients) {
  const Tensor x = randn({2, 3, 4, 2}, 22).requires_grad_();
  for (const PadMode mode : {PadMode::reflect, PadMode::edge})
    for (const Pad2d p : {Pad2d(1), Pad2d(2, 0, 3, 1), Pad2d(-1, 2, 1, -2)})
      expect_gradcheck(
          [p, mode](const std::vector<Tensor>& in) {
            return square(pad2d(in[0], p, {.mode = mode}));
          },
          {x});
}

TEST(Pad2dMode, Errors) {
  const Tensor x = Tensor::zeros({1, 3, 4, 2});
  EXPECT_EQ(error_of([&] {
              pad2d(x, {3, 0, 0, 0}, {.mode = PadMode::reflect});
            }),
            "pad2d: reflect padding (top 3, bottom 0, left 0, right 0) must be smaller than the "
            "3 rows of x of shape [1, 3, 4, 2] on each side (the mirror does not repeat the "
            "edge)");
  EXPECT_EQ(error_of([&] {
              pad2d(x, {0, 0, 1, 4}, {.mode = PadMode::reflect});
            }),
            "pad2d: reflect padding (top 0, bottom 0, left 1, right 4) must be smaller than the "
            "4 cols of x of shape [1, 3, 4, 2] on each side (the mirror does not repeat the "
            "edge)");
  EXPECT_EQ(error_of([] {
              pad2d(Tensor::zeros({1, 0, 4, 2}), {1, 0, 0, 0}, {.mode = PadMode::edge});
            }),
            "pad2d: edge padding (top 1, bottom 0, left 0, right 0) has no edge to repeat: x of "
            "shape [1, 0, 4, 2] has no rows");
  EXPECT_EQ(error_of([&] {
              pad2d(x, {0, 0, -5, 0}, {.mode = PadMode::edge});
            }),
            "pad2d: padding (top 0, bottom 0, left -5, right 0) leaves -1 cols of x of shape "
            "[1, 3, 4, 2]");
  EXPECT_EQ(error_of([] {
              pad2d(Tensor::zeros({3, 4, 2}), 1, {.mode = PadMode::reflect});
            }),
            "pad2d: argument 'x' must have rank 4 [batch, rows, cols, channels], got shape "
            "[3, 4, 2]");
}

// ---- shortcut_identity ----

TEST(ShortcutIdentity, SubsamplesAndAddsZeroChannels) {
  const Tensor x = randn({2, 5, 4, 3}, 18);
  for (int64_t s : {1, 2, 3})
    for (int64_t out_c : {3, 7}) {
      const Tensor y = shortcut_identity(x, s, out_c);
      ASSERT_EQ(y.shape(), (Shape{2, (5 + s - 1) / s, (4 + s - 1) / s, out_c}));
      for_each_index(y.shape(), [&](int64_t b, int64_t i, int64_t j, int64_t c) {
        ASSERT_EQ(y.at({b, i, j, c}), c < 3 ? x.at({b, s * i, s * j, c}) : 0.0f)
            << "stride " << s << " out_channels " << out_c;
      });
    }
}

TEST(ShortcutIdentity, Gradients) {
  const Tensor x = randn({2, 5, 4, 3}, 19).requires_grad_();
  for (int64_t s : {1, 2, 3})
    expect_gradcheck(
        [s](const std::vector<Tensor>& in) { return square(shortcut_identity(in[0], s, 5)); }, {x});
}

TEST(ShortcutIdentity, Errors) {
  EXPECT_EQ(error_of([] {
              shortcut_identity(Tensor::zeros({1, 4, 4, 16}), 2, 8);
            }),
            "shortcut_identity: argument 'out_channels' = 8 is less than the 16 channels of x of "
            "shape [1, 4, 4, 16]; the shortcut only adds zero channels");
  EXPECT_EQ(error_of([] {
              shortcut_identity(Tensor::zeros({1, 4, 4, 16}), 0, 32);
            }),
            "shortcut_identity: argument 'stride' must be positive, got 0 (x of shape "
            "[1, 4, 4, 16])");
  EXPECT_EQ(error_of([] {
              shortcut_identity(Tensor::zeros({4, 4, 16}), 2, 32);
            }),
            "shortcut_identity: argument 'x' must have rank 4 [batch, rows, cols, channels], got "
            "shape [4, 4, 16]");
}

}  // namespace
}  // namespace cnn
