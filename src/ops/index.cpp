// index_select: x viewed as [outer, D, inner] around dim;
//   forward   y[o, k, i] = x[o, indices[k], i]
//   backward  dx[o, d, i] = sum over k with indices[k] = d of dy[o, k, i]
#include "cnn/ops/index.h"

#include <algorithm>
#include <cstring>

#include "cnn/autograd.h"
#include "cnn/trace.h"
#include "ops/checks.h"

namespace cnn {

Tensor index_select(const Tensor& x, int64_t dim, const std::vector<int64_t>& indices) {
  detail::check_float(x, "index_select", "x");
  CNN_CHECK(x.dim() >= 1, "index_select: argument 'x' must have rank >= 1, got a scalar");
  const int64_t d = normalize_dim(dim, x.dim(), "index_select");
  const int64_t extent = x.size(d);
  for (int64_t i : indices)
    CNN_CHECK(i >= 0 && i < extent, "index_select: index ", i, " is outside [0, ", extent,
              ") along dimension ", d, " of shape ", to_string(x.shape()));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < d; ++i) outer *= x.size(i);
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.size(i);
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(d)] = static_cast<int64_t>(indices.size());
  const auto count = static_cast<int64_t>(indices.size());
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(out_shape);
  const float* src = xc.data();
  float* dst = y.data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < count; ++k)
      std::memcpy(dst + (o * count + k) * inner,
                  src + (o * extent + indices[static_cast<size_t>(k)]) * inner,
                  static_cast<size_t>(inner) * sizeof(float));
  autograd::record(
      "index_select", {x}, {y},
      [indices, outer, extent, inner, count, in_shape = x.shape()](const autograd::TensorList& g) {
        const Tensor dy = g[0].contiguous();
        Tensor dx = Tensor::zeros(in_shape);
        const float* gy = dy.data();
        float* gx = dx.data();
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t k = 0; k < count; ++k) {
            float* to = gx + (o * extent + indices[static_cast<size_t>(k)]) * inner;
            const float* from = gy + (o * count + k) * inner;
            for (int64_t i = 0; i < inner; ++i) to[i] += from[i];
          }
        return autograd::TensorList{dx};
      });
  CNN_TRACE("index_select", {x}, {y}, {{"dim", d}, {"indices", indices}});
  return y;
}

}  // namespace cnn
