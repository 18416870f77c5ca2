#include "cnn/ops/elementwise.h"

#include <cmath>

#include "cnn/autograd.h"
#include "cnn/ops/reduce.h"
#include "cnn/trace.h"
#include "kernels/binary.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;
using kernels::BinaryOp;

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  detail::check_float(a, name, "a");
  detail::check_float(b, name, "b");
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), name);
  const Tensor ac = a.contiguous(), bc = b.contiguous();
  Tensor out = Tensor::empty(out_shape);
  kernels::binary(op, ac.data(), ac.shape(), bc.data(), bc.shape(), out.data(), out_shape);
  return out;
}

// Applies f elementwise to a dense copy of x.
template <class F>
Tensor unary(const Tensor& x, F f) {
  const Tensor xc = x.contiguous();
  Tensor out = Tensor::empty(x.shape());
  const float* in = xc.data();
  float* o = out.data();
  for (int64_t i = 0; i < out.numel(); ++i) o[i] = f(in[i]);
  return out;
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t ea = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t eb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    CNN_CHECK(ea == eb || ea == 1 || eb == 1, op, ": shapes ", to_string(a), " and ", to_string(b),
              " do not broadcast (dimension ", i, ": ", ea, " vs ", eb, ")");
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

// d(a+b) = g, summed over the dimensions each input was broadcast along.
Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::add, a, b, "add");
  autograd::record("add", {a, b}, {out}, [sa = a.shape(), sb = b.shape()](const TensorList& g) {
    return TensorList{sum_to_shape(g[0], sa), sum_to_shape(g[0], sb)};
  });
  CNN_TRACE("add", {a, b}, {out});
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::sub, a, b, "sub");
  autograd::record("sub", {a, b}, {out}, [sa = a.shape(), sb = b.shape()](const TensorList& g) {
    return TensorList{sum_to_shape(g[0], sa), sum_to_shape(neg(g[0]), sb)};
  });
  CNN_TRACE("sub", {a, b}, {out});
  return out;
}

// d(a*b)/da = g*b, d(a*b)/db = g*a.
Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::mul, a, b, "mul");
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  autograd::record("mul", {a, b}, {out},
                   [ad = a.detach(), bd = b.detach(), ga, gb](const TensorList& g) {
                     return TensorList{ga ? sum_to_shape(mul(g[0], bd), ad.shape()) : Tensor(),
                                       gb ? sum_to_shape(mul(g[0], ad), bd.shape()) : Tensor()};
                   });
  CNN_TRACE("mul", {a, b}, {out});
  return out;
}

// d(a/b)/da = g/b, d(a/b)/db = -g*a/b^2.
Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary(BinaryOp::div, a, b, "div");
  const bool ga = a.requires_grad(), gb = b.requires_grad();
  autograd::record(
      "div", {a, b}, {out}, [ad = a.detach(), bd = b.detach(), ga, gb](const TensorList& g) {
        return TensorList{
            ga ? sum_to_shape(div(g[0], bd), ad.shape()) : Tensor(),
            gb ? sum_to_shape(neg(div(mul(g[0], ad), mul(bd, bd))), bd.shape()) : Tensor()};
      });
  CNN_TRACE("div", {a, b}, {out});
  return out;
}

Tensor neg(const Tensor& x) {
  return affine(x, -1.0f, 0.0f);
}

Tensor affine(const Tensor& x, float scale, float shift) {
  detail::check_float(x, "affine", "x");
  Tensor out = unary(x, [=](float v) { return v * scale + shift; });
  autograd::record("affine", {x}, {out},
                   [scale](const TensorList& g) { return TensorList{affine(g[0], scale, 0.0f)}; });
  CNN_TRACE("affine", {x}, {out}, {{"scale", scale}, {"shift", shift}});
  return out;
}

Tensor square(const Tensor& x) {
  detail::check_float(x, "square", "x");
  Tensor out = unary(x, [](float v) { return v * v; });
  autograd::record("square", {x}, {out}, [xd = x.detach()](const TensorList& g) {
    return TensorList{mul(g[0], affine(xd, 2.0f, 0.0f))};
  });
  CNN_TRACE("square", {x}, {out});
  return out;
}

Tensor exp(const Tensor& x) {
  detail::check_float(x, "exp", "x");
  Tensor out = unary(x, [](float v) { return std::exp(v); });
  autograd::record("exp", {x}, {out},
                   [yd = out.detach()](const TensorList& g) { return TensorList{mul(g[0], yd)}; });
  CNN_TRACE("exp", {x}, {out});
  return out;
}

Tensor log(const Tensor& x) {
  detail::check_float(x, "log", "x");
  Tensor out = unary(x, [](float v) { return std::log(v); });
  autograd::record("log", {x}, {out},
                   [xd = x.detach()](const TensorList& g) { return TensorList{div(g[0], xd)}; });
  CNN_TRACE("log", {x}, {out});
  return out;
}

}  // namespace cnn
