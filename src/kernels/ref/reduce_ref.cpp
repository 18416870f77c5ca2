#include "kernels/ref/reduce_ref.h"

namespace cnn::kernels::ref {

void sum_over(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out) {
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
  std::vector<double> acc(static_cast<size_t>(out_numel), 0.0);
  if (n > 0) {
    if (rank == 0) {
      acc[0] = x[0];
    } else {
      const int64_t inner = shape[rank - 1];
      const int64_t inner_stride = out_strides[rank - 1];
      Shape index(rank, 0);
      int64_t o = 0;
      for (int64_t i = 0; i < n; i += inner) {
        const float* run = x + i;
        if (inner_stride == 0) {
          double s = 0.0;
          for (int64_t k = 0; k < inner; ++k) s += run[k];
          acc[static_cast<size_t>(o)] += s;
        } else {
          for (int64_t k = 0; k < inner; ++k) acc[static_cast<size_t>(o + k)] += run[k];
        }
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
  }
  for (int64_t i = 0; i < out_numel; ++i) out[i] = static_cast<float>(acc[static_cast<size_t>(i)]);
}

}  // namespace cnn::kernels::ref
