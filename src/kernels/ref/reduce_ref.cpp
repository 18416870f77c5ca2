#include "kernels/ref/reduce_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cnn::kernels::ref {
namespace {

// Walks x in memory order as runs of its last dimension: fn(i, o, stride, inner) for the run
// of `inner` elements starting at flat index i, whose element k belongs to output
// o + k * stride (stride 0 when the last dimension is reduced, 1 when kept).
template <class Fn>
void for_each_run(const Shape& shape, const std::vector<bool>& reduced, Fn fn) {
  const size_t rank = shape.size();
  // Output stride per input dimension: 0 where the dimension is reduced.
  Shape out_strides(rank, 0);
  int64_t out_numel = 1, n = 1;
  for (size_t d = rank; d-- > 0;) {
    n *= shape[d];
    if (!reduced[d]) {
      out_strides[d] = out_numel;
      out_numel *= shape[d];
    }
  }
  if (n == 0) return;
  if (rank == 0) {
    fn(int64_t{0}, int64_t{0}, int64_t{0}, int64_t{1});
    return;
  }
  const int64_t inner = shape[rank - 1];
  const int64_t inner_stride = out_strides[rank - 1];
  Shape index(rank, 0);
  int64_t o = 0;
  for (int64_t i = 0; i < n; i += inner) {
    fn(i, o, inner_stride, inner);
    for (size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < shape[d]) {
        o += out_strides[d];
        break;
      }
      o -= out_strides[d] * (shape[d] - 1);
      index[d] = 0;
    }
  }
}

int64_t kept_numel(const Shape& shape, const std::vector<bool>& reduced) {
  int64_t count = 1;
  for (size_t d = 0; d < shape.size(); ++d)
    if (!reduced[d]) count *= shape[d];
  return count;
}

}  // namespace

void sum_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out) {
  std::vector<double> acc(static_cast<size_t>(kept_numel(shape, reduced)), 0.0);
  for_each_run(shape, reduced, [&](int64_t i, int64_t o, int64_t stride, int64_t inner) {
    const float* run = x + i;
    if (stride == 0) {
      double s = 0.0;
      for (int64_t k = 0; k < inner; ++k) s += run[k];
      acc[static_cast<size_t>(o)] += s;
    } else {
      for (int64_t k = 0; k < inner; ++k) acc[static_cast<size_t>(o + k)] += run[k];
    }
  });
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i]);
}

void amax_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out) {
  const int64_t n_out = kept_numel(shape, reduced);
  std::fill(out, out + n_out, -std::numeric_limits<float>::infinity());
  for_each_run(shape, reduced, [&](int64_t i, int64_t o, int64_t stride, int64_t inner) {
    for (int64_t k = 0; k < inner; ++k) {
      const float v = x[i + k];
      float& m = out[o + k * stride];
      if (v > m || std::isnan(v)) m = v;
    }
  });
}

void amax_backward(const float* x, const Shape& shape, const std::vector<bool>& reduced,
                   const float* out, const float* dy, float* dx) {
  std::vector<float> count(static_cast<size_t>(kept_numel(shape, reduced)), 0.0f);
  for_each_run(shape, reduced, [&](int64_t i, int64_t o, int64_t stride, int64_t inner) {
    for (int64_t k = 0; k < inner; ++k)
      if (x[i + k] == out[o + k * stride]) count[static_cast<size_t>(o + k * stride)] += 1.0f;
  });
  for_each_run(shape, reduced, [&](int64_t i, int64_t o, int64_t stride, int64_t inner) {
    for (int64_t k = 0; k < inner; ++k) {
      const int64_t j = o + k * stride;
      const float share = dy[j] / count[static_cast<size_t>(j)];
      dx[i + k] = share * (x[i + k] == out[j] ? 1.0f : 0.0f);
    }
  });
}

}  // namespace cnn::kernels::ref
