#include "cnn/ops/reduce.h"

#include <vector>

#include "cnn/autograd.h"
#include "cnn/ops/elementwise.h"
#include "cnn/trace.h"
#include "kernels/reduce.h"
#include "ops/checks.h"

namespace cnn {
namespace {

struct Reduction {
  std::vector<bool> reduced;
  Shape out_shape;    // with or without kept dimensions, as asked
  Shape kept_shape;   // reduced dimensions set to 1
  int64_t count = 1;  // elements summed into each output
};

Reduction plan(const Tensor& x, const Shape& dims, bool keepdim, const char* op) {
  Reduction r;
  const int64_t rank = x.dim();
  r.reduced.assign(static_cast<size_t>(rank), dims.empty());
  for (int64_t d : dims) {
    const int64_t nd = normalize_dim(d, rank, op);
    CNN_CHECK(!r.reduced[static_cast<size_t>(nd)], op, ": dimension ", d,
              " listed twice for x of shape ", to_string(x.shape()));
    r.reduced[static_cast<size_t>(nd)] = true;
  }
  for (int64_t d = 0; d < rank; ++d) {
    const bool red = r.reduced[static_cast<size_t>(d)];
    r.kept_shape.push_back(red ? 1 : x.size(d));
    if (red) r.count *= x.size(d);
    if (!red || keepdim) r.out_shape.push_back(red ? 1 : x.size(d));
  }
  return r;
}

Tensor sum_impl(const Tensor& x, const Reduction& r) {
  const Tensor xc = x.contiguous();
  Tensor out = Tensor::empty(r.out_shape);
  kernels::sum_over(xc.data(), xc.shape(), r.reduced, out.data());
  return out;
}

// Broadcasts g (shaped like the reduction's output) back over x's shape, times `scale`.
Tensor expand_back(const Tensor& g, const Reduction& r, const Shape& x_shape, float scale) {
  Tensor gk = g.reshape(r.kept_shape);
  Tensor out = Tensor::full(x_shape, scale);
  return mul(out, gk);
}

}  // namespace

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  detail::check_float(x, "sum", "x");
  const Reduction r = plan(x, dims, keepdim, "sum");
  Tensor out = sum_impl(x, r);
  autograd::record("sum", {x}, {out}, [r, shape = x.shape()](const autograd::TensorList& g) {
    return autograd::TensorList{expand_back(g[0], r, shape, 1.0f)};
  });
  CNN_TRACE("sum", {x}, {out}, {{"dims", dims}, {"keepdim", keepdim}});
  return out;
}

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  detail::check_float(x, "mean", "x");
  const Reduction r = plan(x, dims, keepdim, "mean");
  CNN_CHECK(r.count > 0, "mean: reducing x of shape ", to_string(x.shape()), " over no elements");
  Tensor out = sum_impl(x, r);
  const float inv = 1.0f / static_cast<float>(r.count);
  float* p = out.data();
  for (int64_t i = 0; i < out.numel(); ++i) p[i] *= inv;
  autograd::record("mean", {x}, {out}, [r, inv, shape = x.shape()](const autograd::TensorList& g) {
    return autograd::TensorList{expand_back(g[0], r, shape, inv)};
  });
  CNN_TRACE("mean", {x}, {out}, {{"dims", dims}, {"keepdim", keepdim}});
  return out;
}

// y[o] = max of x over group o (NaN if the group holds one);
// dx[i] = dy[o] / (number of maxima in o) where x[i] is one of them, else 0.
Tensor amax(const Tensor& x, const Shape& dims, bool keepdim) {
  detail::check_float(x, "amax", "x");
  const Reduction r = plan(x, dims, keepdim, "amax");
  for (int64_t d = 0; d < x.dim(); ++d)
    CNN_CHECK(!r.reduced[static_cast<size_t>(d)] || x.size(d) > 0, "amax: cannot reduce dimension ",
              d, " of x of shape ", to_string(x.shape()), ", which has size 0");
  const Tensor xc = x.contiguous();
  Tensor out = Tensor::empty(r.out_shape);
  kernels::amax_over(xc.data(), xc.shape(), r.reduced, out.data());
  autograd::record(
      "amax", {x}, {out}, [r, xd = xc.detach(), yd = out.detach()](const autograd::TensorList& g) {
        const Tensor dy = g[0].contiguous();
        Tensor dx = Tensor::empty(xd.shape());
        kernels::amax_backward(xd.data(), xd.shape(), r.reduced, yd.data(), dy.data(), dx.data());
        return autograd::TensorList{dx};
      });
  CNN_TRACE("amax", {x}, {out}, {{"dims", dims}, {"keepdim", keepdim}});
  return out;
}

Tensor sum_to_shape(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  CNN_CHECK(lead >= 0, "sum_to_shape: cannot reduce shape ", to_string(g.shape()), " to ",
            to_string(shape));
  Shape dims;
  for (int64_t d = 0; d < g.dim(); ++d) {
    if (d < lead || (shape[static_cast<size_t>(d - lead)] == 1 && g.size(d) != 1)) {
      dims.push_back(d);
    } else {
      CNN_CHECK(shape[static_cast<size_t>(d - lead)] == g.size(d),
                "sum_to_shape: cannot reduce shape ", to_string(g.shape()), " to ",
                to_string(shape));
    }
  }
  if (dims.empty()) return g.reshape(shape);
  return sum(g, dims, true).reshape(shape);
}

}  // namespace cnn
