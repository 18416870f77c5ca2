// Differentiable views and copies: reshape, flatten, permute, transpose, slice, contiguous,
// clone. Views share storage with their source; their backward maps the gradient back.
#include <numeric>

#include "cnn/autograd.h"
#include "cnn/tensor.h"
#include "cnn/trace.h"
#include "core/strided.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;

Tensor dense_copy(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  if (x.dtype() == DType::f32) {
    detail::copy_to_dense(x, out.data());
  } else {
    const auto v = x.to_vector_i64();
    std::copy(v.begin(), v.end(), out.data_i64());
  }
  return out;
}

Shape infer_shape(const Shape& requested, int64_t numel, const Shape& from) {
  Shape shape = requested;
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      CNN_CHECK(infer_at < 0, "reshape: more than one -1 in ", to_string(requested));
      infer_at = static_cast<int64_t>(i);
    } else {
      CNN_CHECK(shape[i] >= 0, "reshape: negative extent in ", to_string(requested));
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    CNN_CHECK(known > 0 && numel % known == 0, "reshape: cannot view shape ", to_string(from),
              " as ", to_string(requested));
    shape[static_cast<size_t>(infer_at)] = numel / known;
  }
  CNN_CHECK(checked_numel(shape) == numel, "reshape: cannot view shape ", to_string(from), " (",
            numel, " elements) as ", to_string(requested));
  return shape;
}

}  // namespace

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = dense_copy(*this);
  autograd::record("contiguous", {*this}, {out}, [](const TensorList& g) { return g; });
  CNN_TRACE("contiguous", {*this}, {out});
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = dense_copy(*this);
  autograd::record("clone", {*this}, {out}, [](const TensorList& g) { return g; });
  CNN_TRACE("clone", {*this}, {out});
  return out;
}

Tensor Tensor::reshape(const Shape& requested) const {
  const Shape shape = infer_shape(requested, numel(), this->shape());
  const Tensor src = contiguous();
  Tensor out =
      Tensor::view_of(src.storage(), shape, contiguous_strides(shape), src.offset(), src.dtype());
  autograd::record("reshape", {src}, {out}, [from = this->shape()](const TensorList& g) {
    return TensorList{g[0].reshape(from)};
  });
  CNN_TRACE("reshape", {src}, {out}, {{"shape", shape}});
  return out;
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const int64_t s = normalize_dim(start_dim, dim(), "flatten");
  const int64_t e = normalize_dim(end_dim, dim(), "flatten");
  CNN_CHECK(s <= e, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim,
            " for shape ", to_string(shape()));
  Shape out;
  for (int64_t d = 0; d < s; ++d) out.push_back(size(d));
  int64_t merged = 1;
  for (int64_t d = s; d <= e; ++d) merged *= size(d);
  out.push_back(merged);
  for (int64_t d = e + 1; d < dim(); ++d) out.push_back(size(d));
  return reshape(out);
}

Tensor Tensor::permute(const Shape& dims) const {
  CNN_CHECK(static_cast<int64_t>(dims.size()) == dim(), "permute: ", dims.size(),
            " dimensions given for shape ", to_string(shape()));
  Shape new_shape(dims.size()), new_strides(dims.size()), inverse(dims.size(), -1);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = normalize_dim(dims[i], dim(), "permute");
    CNN_CHECK(inverse[static_cast<size_t>(d)] < 0, "permute: dimension ", d, " repeated in ",
              to_string(dims));
    inverse[static_cast<size_t>(d)] = static_cast<int64_t>(i);
    new_shape[i] = shape()[static_cast<size_t>(d)];
    new_strides[i] = strides()[static_cast<size_t>(d)];
  }
  Tensor out = Tensor::view_of(storage(), new_shape, new_strides, offset(), dtype());
  autograd::record("permute", {*this}, {out},
                   [inverse](const TensorList& g) { return TensorList{g[0].permute(inverse)}; });
  CNN_TRACE("permute", {*this}, {out}, {{"dims", dims}});
  return out;
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  Shape order(static_cast<size_t>(dim()));
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[static_cast<size_t>(normalize_dim(dim0, dim(), "transpose"))],
            order[static_cast<size_t>(normalize_dim(dim1, dim(), "transpose"))]);
  return permute(order);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  const int64_t nd = normalize_dim(d, dim(), "slice");
  const int64_t extent = size(nd);
  CNN_CHECK(step >= 1, "slice: step must be positive, got ", step);
  if (start < 0) start += extent;
  if (end < 0) end += extent;
  start = std::clamp<int64_t>(start, 0, extent);
  end = std::clamp<int64_t>(end, start, extent);
  Shape new_shape = shape(), new_strides = strides();
  new_shape[static_cast<size_t>(nd)] = (end - start + step - 1) / step;
  new_strides[static_cast<size_t>(nd)] *= step;
  Tensor out = Tensor::view_of(storage(), new_shape, new_strides,
                               offset() + start * strides()[static_cast<size_t>(nd)], dtype());
  autograd::record("slice", {*this}, {out},
                   [from = shape(), nd, start, end, step](const TensorList& g) {
                     Tensor full = Tensor::zeros(from);
                     const Tensor gc = g[0].contiguous();
                     detail::copy_from_dense(gc.data(), full.slice(nd, start, end, step));
                     return TensorList{full};
                   });
  CNN_TRACE("slice", {*this}, {out}, {{"dim", nd}, {"start", start}, {"end", end}, {"step", step}});
  return out;
}

}  // namespace cnn
