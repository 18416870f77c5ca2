#include "core/strided.h"

#include <algorithm>

namespace cnn::detail {
namespace {

// Calls f(view_offset, dense_index_begin, count) for each innermost run of a view.
template <class F>
void for_each_run(const Tensor& t, F&& f) {
  const Shape& shape = t.shape();
  const Shape& strides = t.strides();
  const int64_t n = t.numel();
  if (n == 0) return;
  if (t.is_contiguous()) {
    f(t.offset(), 0, n, 1);
    return;
  }
  const size_t rank = shape.size();
  const int64_t inner = shape[rank - 1], inner_stride = strides[rank - 1];
  Shape index(rank, 0);
  int64_t off = t.offset();
  for (int64_t done = 0; done < n; done += inner) {
    f(off, done, inner, inner_stride);
    for (size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      index[d] = 0;
    }
  }
}

float* base_of(const Tensor& t) {
  return static_cast<float*>(t.storage()->data());
}

}  // namespace

void copy_to_dense(const Tensor& src, float* dst) {
  const float* base = base_of(src);
  (void)src.data();  // checks the dtype
  for_each_run(src, [&](int64_t off, int64_t at, int64_t count, int64_t stride) {
    if (stride == 1) {
      std::copy_n(base + off, count, dst + at);
    } else {
      for (int64_t i = 0; i < count; ++i) dst[at + i] = base[off + i * stride];
    }
  });
}

void copy_from_dense(const float* src, const Tensor& dst) {
  float* base = base_of(dst);
  (void)dst.data();
  for_each_run(dst, [&](int64_t off, int64_t at, int64_t count, int64_t stride) {
    for (int64_t i = 0; i < count; ++i) base[off + i * stride] = src[at + i];
  });
}

void add_from_dense(const float* src, const Tensor& dst) {
  float* base = base_of(dst);
  (void)dst.data();
  for_each_run(dst, [&](int64_t off, int64_t at, int64_t count, int64_t stride) {
    for (int64_t i = 0; i < count; ++i) base[off + i * stride] += src[at + i];
  });
}

}  // namespace cnn::detail
