// A value flowing through an imported graph: a tensor in some physical layout.
//
// ONNX states every tensor in its logical order ([N, C, H, W] for images); cnn's kernels read
// NHWC. Rather than inserting transposes around each convolution, a value carries the
// permutation between the two: `data` holds the logical tensor permuted by `perm` (stored
// dimension k is logical dimension perm[k]; an empty perm is the identity). Convolutions ask
// for perm {0, 2, 3, 1} (NHWC) and produce it; pointwise ops keep whatever they are given;
// axis ops (Concat, Softmax, Reduce*, Slice, Split) remap their axes through the perm; only
// ops that depend on the logical element order (Flatten, Reshape across spatial dimensions)
// convert to the identity, and then only when the order actually differs. A Transpose node
// composes perms and moves no data, so transposes that cancel cost nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "cnn/tensor.h"

namespace cnn::onnx {

using Perm = std::vector<int64_t>;

struct Value {
  Tensor data;
  Perm perm;  // empty: identity

  bool defined() const { return data.defined(); }
  int64_t rank() const { return data.dim(); }
  // The shape in ONNX's logical order.
  Shape logical_shape() const;
  // The stored dimension that holds logical dimension `axis` (already normalized).
  int64_t stored_axis(int64_t axis) const;
};

// {0, 1, ..., rank - 1}
Perm identity_perm(int64_t rank);
bool is_identity(const Perm& perm);
Perm inverse_perm(const Perm& perm);
// NHWC for rank 4 and, generally, channels (logical dimension 1) last: {0, 2, ..., r-1, 1}.
Perm channels_last_perm(int64_t rank);

// The value's tensor stored in layout `perm` (contiguous); free when it already is, or when
// the two layouts differ only in where extents of 1 sit.
Tensor stored_as(const Value& v, const Perm& perm);
// The tensor in ONNX's logical order.
inline Tensor logical(const Value& v) {
  return stored_as(v, {});
}
// Wraps a tensor stored in layout `perm`.
inline Value value_of(Tensor t, Perm perm = {}) {
  if (is_identity(perm)) perm.clear();
  return Value{std::move(t), std::move(perm)};
}

}  // namespace cnn::onnx
