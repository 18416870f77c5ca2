/// \file
/// Shape: the extents of a tensor, outermost first. Activations are [batch, row, col, channel]
/// (NHWC, the lecture's L[b, x, y, i]); convolution weights are [row, col, in, out] (HWIO).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace cnn {

using Shape = std::vector<int64_t>;

/// "[2, 3, 4]"
std::string to_string(const Shape& shape);

/// Product of the extents; raises cnn::Error on a negative extent or on overflow of int64.
int64_t checked_numel(const Shape& shape);

/// Row-major (C-contiguous) strides, in elements.
Shape contiguous_strides(const Shape& shape);

/// Maps a possibly negative dimension index into [0, rank); raises cnn::Error naming `op`.
int64_t normalize_dim(int64_t dim, int64_t rank, const char* op);

/// A pair of spatial values (rows, cols) that converts from one integer: `.stride = 2`.
struct Size2 {
  int64_t h = 0;
  int64_t w = 0;
  constexpr Size2(int64_t v = 0) : h(v), w(v) {}  ///< NOLINT(google-explicit-constructor)
  constexpr Size2(int64_t rows, int64_t cols) : h(rows), w(cols) {}
  friend constexpr bool operator==(const Size2&, const Size2&) = default;
};

/// Zero padding on the four sides of an image. `{.padding = 1}` pads all sides by one,
/// `{1, 2}` pads rows by 1 and columns by 2 on both sides, `{t, b, l, r}` is asymmetric.
struct Pad2d {
  int64_t top = 0;
  int64_t bottom = 0;
  int64_t left = 0;
  int64_t right = 0;
  constexpr Pad2d(int64_t v = 0) : top(v), bottom(v), left(v), right(v) {}  ///< NOLINT
  constexpr Pad2d(int64_t rows, int64_t cols) : top(rows), bottom(rows), left(cols), right(cols) {}
  constexpr Pad2d(int64_t t, int64_t b, int64_t l, int64_t r)
      : top(t), bottom(b), left(l), right(r) {}
  friend constexpr bool operator==(const Pad2d&, const Pad2d&) = default;
};

std::ostream& operator<<(std::ostream& out, const Size2& s);
std::ostream& operator<<(std::ostream& out, const Pad2d& p);

}  // namespace cnn
