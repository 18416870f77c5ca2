// Channel and spatial rearrangements: concat, split, channel_shuffle, pad2d and the option-A
// shortcut. Each is a pure copy (every output element is one input element or a constant),
// so each backward is the adjoint copy: concat <-> split, shuffle(g) <-> shuffle(C / g),
// pad(p) <-> pad(-p), shortcut's subsample-and-widen <-> scatter-and-drop, and reflect or edge
// padding's gather <-> a scatter that sums the copies of each element.
//
// split returns copies, not views: the kernels read dense data, so a view split along the
// channels (strided) would be copied by whichever op consumes it anyway; a copy costs the
// same once, keeps each piece dense and independent of x's storage, and makes split the
// exact mirror of concat (one kernel each way).
#include "cnn/ops/shape.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/trace.h"
#include "kernels/shape.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;

constexpr const char* kNHWC = "[batch, rows, cols, channels]";

// A dimension index of x in [0, rank), with an error naming the op, the argument and x's shape.
int64_t dim_of(const Tensor& x, int64_t dim, const char* op, const std::string& arg) {
  const int64_t rank = x.dim();
  CNN_CHECK(rank >= 1, op, ": argument '", arg, "' must have rank >= 1, got shape ",
            to_string(x.shape()));
  CNN_CHECK(dim >= -rank && dim < rank, op, ": dimension ", dim, " is out of range for '", arg,
            "' of shape ", to_string(x.shape()), " (rank ", rank, ")");
  return dim < 0 ? dim + rank : dim;
}

// x viewed as [outer, extent, inner] around dimension d.
struct Around {
  int64_t outer = 1, inner = 1;
};
Around around(const Shape& shape, int64_t d) {
  Around a;
  for (int64_t i = 0; i < d; ++i) a.outer *= shape[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(d) + 1; i < shape.size(); ++i) a.inner *= shape[i];
  return a;
}

// parts (same shape except along d) -> one dense tensor; no checks, no graph.
Tensor concat_dense(const TensorList& parts, int64_t d) {
  std::vector<Tensor> dense;
  std::vector<const float*> ptrs;
  std::vector<int64_t> extents;
  Shape out_shape = parts[0].shape();
  out_shape[static_cast<size_t>(d)] = 0;
  for (const Tensor& p : parts) {
    dense.push_back(p.contiguous());
    ptrs.push_back(dense.back().data());
    extents.push_back(p.size(d));
    out_shape[static_cast<size_t>(d)] += p.size(d);
  }
  Tensor out = Tensor::empty(out_shape);
  const Around a = around(out_shape, d);
  kernels::concat_runs(ptrs, extents, a.outer, a.inner, out.data());
  return out;
}

// x -> pieces of the given extents along d; only the pieces marked in `wanted` are made
// (the others are left undefined). No checks, no graph.
TensorList split_dense(const Tensor& x, const std::vector<int64_t>& extents, int64_t d,
                       const std::vector<bool>& wanted) {
  const Tensor xc = x.contiguous();
  TensorList pieces(extents.size());
  std::vector<float*> ptrs(extents.size(), nullptr);
  for (size_t i = 0; i < extents.size(); ++i) {
    if (!wanted[i]) continue;
    Shape shape = x.shape();
    shape[static_cast<size_t>(d)] = extents[i];
    pieces[i] = Tensor::empty(shape);
    ptrs[i] = pieces[i].data();
  }
  const Around a = around(x.shape(), d);
  kernels::split_runs(xc.data(), extents, a.outer, a.inner, ptrs);
  return pieces;
}

Tensor shuffle_dense(const Tensor& x, int64_t groups, int64_t per_group) {
  const Tensor xc = x.contiguous();
  Tensor out = Tensor::empty(x.shape());
  const int64_t pixels = x.size(0) * x.size(1) * x.size(2);
  kernels::channel_shuffle(xc.data(), pixels, groups, per_group, out.data());
  return out;
}

Tensor pad_dense(const Tensor& x, const Pad2d& p, float value) {
  const Tensor xc = x.contiguous();
  const int64_t n = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  Tensor out = Tensor::empty({n, h + p.top + p.bottom, w + p.left + p.right, c});
  kernels::pad2d(xc.data(), n, h, w, c, p.top, p.bottom, p.left, p.right, value, out.data());
  return out;
}

// extent + before + after must not be negative (cropping more than there is) nor overflow.
void check_padded_extent(const Tensor& x, int64_t extent, int64_t before, int64_t after,
                         const Pad2d& p, const char* what) {
  int64_t out = 0;
  const bool overflow =
      __builtin_add_overflow(extent, before, &out) || __builtin_add_overflow(out, after, &out);
  CNN_CHECK(!overflow && out >= 0, "pad2d: padding ", p, " leaves ",
            overflow ? std::string("an overflowing number of") : std::to_string(out), " ", what,
            " of x of shape ", to_string(x.shape()));
}

}  // namespace

// ---- concat: L[b, x, y, J1 + J2] = L1 ; L2 ----
// forward:  out[o, offset_i + k, r] = xs_i[o, k, r]
// backward: dxs_i[o, k, r] = dout[o, offset_i + k, r]   (each input gets its slice)
Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  CNN_CHECK(!xs.empty(), "concat: argument 'xs' is an empty list; give at least one tensor");
  for (size_t i = 0; i < xs.size(); ++i)
    detail::check_float(xs[i], "concat", ("xs[" + std::to_string(i) + "]").c_str());
  const Tensor& first = xs[0];
  const int64_t d = dim_of(first, dim, "concat", "xs[0]");
  for (size_t i = 1; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    CNN_CHECK(x.dim() == first.dim(), "concat: xs[", i, "] of shape ", to_string(x.shape()),
              " has rank ", x.dim(), " but xs[0] of shape ", to_string(first.shape()), " has rank ",
              first.dim());
    for (int64_t k = 0; k < x.dim(); ++k)
      CNN_CHECK(k == d || x.size(k) == first.size(k), "concat: xs[", i, "] of shape ",
                to_string(x.shape()), " does not match xs[0] of shape ", to_string(first.shape()),
                " in dimension ", k, " (only dimension ", d, ", the one concatenated, may differ)");
  }
  Tensor out = concat_dense(xs, d);
  std::vector<int64_t> extents;
  std::vector<bool> wanted;
  for (const Tensor& x : xs) {
    extents.push_back(x.size(d));
    wanted.push_back(x.requires_grad());
  }
  autograd::record("concat", xs, {out}, [extents, wanted, d](const TensorList& g) {
    return split_dense(g[0], extents, d, wanted);
  });
  CNN_TRACE("concat", xs, {out}, {{"dim", d}});
  return out;
}

// ---- split: the inverse of concat ----
// forward:  out_i[o, k, r] = x[o, offset_i + k, r]
// backward: dx = dout_0 ; dout_1 ; ...   (zeros for pieces no gradient reached)
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  detail::check_float(x, "split", "x");
  const int64_t d = dim_of(x, dim, "split", "x");
  CNN_CHECK(!sizes.empty(), "split: argument 'sizes' is empty (x of shape ", to_string(x.shape()),
            ", dimension ", d, ")");
  const int64_t extent = x.size(d);
  for (size_t i = 0; i < sizes.size(); ++i)
    CNN_CHECK(sizes[i] >= 0, "split: sizes[", i, "] is ", sizes[i], " in sizes ", to_string(sizes),
              "; sizes must be non-negative (x of shape ", to_string(x.shape()), ")");
  int64_t covered = 0;  // stops at the first size past the extent, so it cannot overflow
  for (size_t i = 0; i < sizes.size() && covered <= extent; ++i)
    covered += std::min(sizes[i], extent + 1);
  CNN_CHECK(covered == extent, "split: sizes ", to_string(sizes), " do not sum to the extent ",
            extent, " of dimension ", d, " of x of shape ", to_string(x.shape()));
  TensorList pieces = split_dense(x, sizes, d, std::vector<bool>(sizes.size(), true));
  autograd::record("split", {x}, pieces,
                   [d](const TensorList& g) { return TensorList{concat_dense(g, d)}; });
  CNN_TRACE("split", {x}, pieces, {{"dim", d}, {"sizes", sizes}});
  return pieces;
}

// ---- channel_shuffle (ShuffleNet): channels [groups, C/groups] transposed ----
// forward:  out[p, j * G + g] = x[p, g * (C/G) + j]
// backward: the inverse permutation, which is the shuffle with G and C/G exchanged.
Tensor channel_shuffle(const Tensor& x, int64_t groups) {
  detail::check_rank(x, 4, "channel_shuffle", "x", kNHWC);
  const int64_t c = x.size(3);
  CNN_CHECK(groups >= 1, "channel_shuffle: argument 'groups' must be positive, got ", groups,
            " (x of shape ", to_string(x.shape()), ")");
  CNN_CHECK(c % groups == 0, "channel_shuffle: the ", c, " channels of x of shape ",
            to_string(x.shape()), " are not divisible by groups = ", groups);
  const int64_t per_group = c / groups;
  Tensor out = shuffle_dense(x, groups, per_group);
  autograd::record("channel_shuffle", {x}, {out}, [groups, per_group](const TensorList& g) {
    return TensorList{shuffle_dense(g[0], per_group, groups)};
  });
  CNN_TRACE("channel_shuffle", {x}, {out}, {{"groups", groups}});
  return out;
}

// ---- pad2d: constant padding of rows and columns; negative amounts crop (as F.pad) ----
// forward:  out[n, y, x', c] = x[n, y - top, x' - left, c] inside x, else value
// backward: dx[n, y, x', c] = dout[n, y + top, x' + left, c] inside dout, else 0
//           = pad2d(dout, -padding, 0)
Tensor pad2d(const Tensor& x, const Pad2d& padding, float value) {
  detail::check_rank(x, 4, "pad2d", "x", kNHWC);
  check_padded_extent(x, x.size(1), padding.top, padding.bottom, padding, "rows");
  check_padded_extent(x, x.size(2), padding.left, padding.right, padding, "cols");
  Tensor out = pad_dense(x, padding, value);
  const Pad2d crop{-padding.top, -padding.bottom, -padding.left, -padding.right};
  autograd::record("pad2d", {x}, {out},
                   [crop](const TensorList& g) { return TensorList{pad_dense(g[0], crop, 0.0f)}; });
  CNN_TRACE("pad2d", {x}, {out}, {{"padding", padding}, {"mode", "constant"}, {"value", value}});
  return out;
}

// ---- pad2d with a mode: reflect and edge read rows and columns through an index map ----
// forward:  out[n, y, x', c] = x[n, rows[y], cols[x'], c]
//           (rows[y] = reflect or clamp of y - top into [0, H), cols likewise)
// backward: dx[n, i, j, c] = sum_{y: rows[y] = i} sum_{x': cols[x'] = j} dout[n, y, x', c]
Tensor pad2d(const Tensor& x, const Pad2d& padding, const Pad2dOptions& options) {
  if (options.mode == PadMode::constant) return pad2d(x, padding, options.value);
  detail::check_rank(x, 4, "pad2d", "x", kNHWC);
  check_padded_extent(x, x.size(1), padding.top, padding.bottom, padding, "rows");
  check_padded_extent(x, x.size(2), padding.left, padding.right, padding, "cols");
  const bool reflect = options.mode == PadMode::reflect;
  const int64_t n = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  const auto check_axis = [&](int64_t extent, int64_t before, int64_t after, const char* what) {
    if (reflect)
      CNN_CHECK((before <= 0 || before < extent) && (after <= 0 || after < extent),
                "pad2d: reflect padding ", padding, " must be smaller than the ", extent, " ", what,
                " of x of shape ", to_string(x.shape()),
                " on each side (the mirror does not repeat the edge)");
    else
      CNN_CHECK(extent >= 1 || (before <= 0 && after <= 0), "pad2d: edge padding ", padding,
                " has no edge to repeat: x of shape ", to_string(x.shape()), " has no ", what);
  };
  check_axis(h, padding.top, padding.bottom, "rows");
  check_axis(w, padding.left, padding.right, "cols");
  const std::vector<int64_t> rows =
      kernels::pad_source_indices(h, padding.top, padding.bottom, reflect);
  const std::vector<int64_t> cols =
      kernels::pad_source_indices(w, padding.left, padding.right, reflect);
  const Tensor xc = x.contiguous();
  Tensor out =
      Tensor::empty({n, static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols.size()), c});
  kernels::pad2d_gather(xc.data(), n, h, w, c, rows, cols, out.data());
  autograd::record(reflect ? "pad2d_reflect" : "pad2d_edge", {x}, {out},
                   [shape = x.shape(), rows, cols](const TensorList& g) {
                     const Tensor gc = g[0].contiguous();
                     Tensor dx = Tensor::empty(shape);
                     kernels::pad2d_gather_backward(gc.data(), shape[0], shape[1], shape[2],
                                                    shape[3], rows, cols, dx.data());
                     return TensorList{dx};
                   });
  CNN_TRACE("pad2d", {x}, {out},
            {{"padding", padding}, {"mode", reflect ? "reflect" : "edge"}, {"value", 0.0f}});
  return out;
}

// ---- shortcut_identity: the option-A shortcut L~ of the ResNet paper ----
// forward:  out[n, y, x', j] = x[n, s*y, s*x', j] for j < C, 0 for C <= j < out_channels
// backward: dx[n, s*y, s*x', j] = dout[n, y, x', j] for j < C, 0 at the skipped pixels
Tensor shortcut_identity(const Tensor& x, int64_t stride, int64_t out_channels) {
  detail::check_rank(x, 4, "shortcut_identity", "x", kNHWC);
  CNN_CHECK(stride >= 1, "shortcut_identity: argument 'stride' must be positive, got ", stride,
            " (x of shape ", to_string(x.shape()), ")");
  const int64_t n = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
  CNN_CHECK(out_channels >= c, "shortcut_identity: argument 'out_channels' = ", out_channels,
            " is less than the ", c, " channels of x of shape ", to_string(x.shape()),
            "; the shortcut only adds zero channels");
  const Tensor xc = x.contiguous();
  Tensor out =
      Tensor::empty({n, (h + stride - 1) / stride, (w + stride - 1) / stride, out_channels});
  kernels::shortcut_identity_forward(xc.data(), n, h, w, c, stride, out_channels, out.data());
  autograd::record("shortcut_identity", {x}, {out},
                   [shape = x.shape(), stride, out_channels](const TensorList& g) {
                     const Tensor gc = g[0].contiguous();
                     Tensor dx = Tensor::empty(shape);
                     kernels::shortcut_identity_backward(gc.data(), shape[0], shape[1], shape[2],
                                                         shape[3], stride, out_channels, dx.data());
                     return TensorList{dx};
                   });
  CNN_TRACE("shortcut_identity", {x}, {out}, {{"stride", stride}, {"out_channels", out_channels}});
  return out;
}

}  // namespace cnn
