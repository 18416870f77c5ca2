// Activations (the lecture's sigma), softmax / log_softmax along a dimension, and dropout.
// Every kernel comes from kernels/activation.h (which runs the fast kernels where there are
// some); the forward and backward formulas sit side by side in kernels/ref/activation_ref.h.
#include "cnn/ops/activation.h"

#include <cmath>

#include "cnn/autograd.h"
#include "cnn/ops/elementwise.h"
#include "cnn/trace.h"
#include "kernels/activation.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;
using kernels::Activation;

// The relu family differentiates from x (where the kinks are), sigmoid and tanh from y.
bool backward_reads_x(Activation kind) {
  return kind == Activation::relu || kind == Activation::relu6 || kind == Activation::leaky_relu;
}

Tensor pointwise(const Tensor& x, Activation kind, float slope, const char* name) {
  detail::check_float(x, name, "x");
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape());
  kernels::activation_forward(kind, slope, xc.data(), y.data(), y.numel());
  const Tensor saved = backward_reads_x(kind) ? xc.detach() : y.detach();
  autograd::record(name, {x}, {y}, [kind, slope, saved](const TensorList& g) {
    const Tensor dy = g[0].contiguous();
    Tensor dx = Tensor::empty(saved.shape());
    const bool reads_x = backward_reads_x(kind);
    kernels::activation_backward(kind, slope, reads_x ? saved.data() : nullptr,
                                 reads_x ? nullptr : saved.data(), dy.data(), dx.data(),
                                 dx.numel());
    return TensorList{dx};
  });
  CNN_TRACE(name, {x}, {y}, {{"negative_slope", slope}});
  return y;
}

// A pointwise op whose backward reads x: forward(x, y, n) and backward(x, dy, dx, n) are
// reference kernels with their parameters bound.
template <class Forward, class Backward>
Tensor pointwise_ref(const Tensor& x, const char* name, Forward forward, Backward backward) {
  detail::check_float(x, name, "x");
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape());
  forward(xc.data(), y.data(), y.numel());
  autograd::record(name, {x}, {y}, [xd = xc.detach(), backward](const TensorList& g) {
    const Tensor dy = g[0].contiguous();
    Tensor dx = Tensor::empty(xd.shape());
    backward(xd.data(), dy.data(), dx.data(), dx.numel());
    return TensorList{dx};
  });
  return y;
}

// x viewed as [outer, size(dim), inner] around dim.
Tensor softmax_impl(const Tensor& x, int64_t dim, bool log, const char* name) {
  detail::check_float(x, name, "x");
  CNN_CHECK(x.dim() >= 1, name, ": argument 'x' must have rank >= 1, got a scalar");
  const int64_t d = normalize_dim(dim, x.dim(), name);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < d; ++i) outer *= x.size(i);
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.size(i);
  const int64_t extent = x.size(d);
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape());
  kernels::softmax_forward(xc.data(), outer, extent, inner, log, y.data());
  autograd::record(
      name, {x}, {y}, [yd = y.detach(), outer, extent, inner, log](const TensorList& g) {
        const Tensor dy = g[0].contiguous();
        Tensor dx = Tensor::empty(yd.shape());
        kernels::softmax_backward(yd.data(), dy.data(), outer, extent, inner, log, dx.data());
        return TensorList{dx};
      });
  CNN_TRACE(name, {x}, {y}, {{"dim", d}});
  return y;
}

}  // namespace

Tensor relu(const Tensor& x) {
  return pointwise(x, Activation::relu, 0.0f, "relu");
}
Tensor relu6(const Tensor& x) {
  return pointwise(x, Activation::relu6, 0.0f, "relu6");
}
Tensor leaky_relu(const Tensor& x, float negative_slope) {
  return pointwise(x, Activation::leaky_relu, negative_slope, "leaky_relu");
}
Tensor sigmoid(const Tensor& x) {
  return pointwise(x, Activation::sigmoid, 0.0f, "sigmoid");
}
Tensor tanh(const Tensor& x) {
  return pointwise(x, Activation::tanh, 0.0f, "tanh");
}

Tensor clamp(const Tensor& x, float lo, float hi) {
  detail::check_float(x, "clamp", "x");
  CNN_CHECK(!std::isnan(lo) && !std::isnan(hi), "clamp: bounds must not be NaN, got lo ", lo,
            " and hi ", hi, " for x of shape ", to_string(x.shape()));
  Tensor y = pointwise_ref(
      x, "clamp",
      [lo, hi](const float* in, float* out, int64_t n) {
        kernels::clamp_forward(lo, hi, in, out, n);
      },
      [lo, hi](const float* in, const float* dy, float* dx, int64_t n) {
        kernels::clamp_backward(lo, hi, in, dy, dx, n);
      });
  CNN_TRACE("clamp", {x}, {y}, {{"lo", lo}, {"hi", hi}});
  return y;
}

// y = x > 0 ? x : slope * x; dx = x > 0 ? dy : slope * dy;
// dslope = sum over the broadcast dimensions of (x > 0 ? 0 : x * dy).
Tensor prelu(const Tensor& x, const Tensor& slope) {
  detail::check_float(x, "prelu", "x");
  detail::check_float(slope, "prelu", "slope");
  const Shape& xs = x.shape();
  const Shape& ss = slope.shape();
  bool fits = ss.size() <= xs.size();
  for (size_t i = 0; fits && i < ss.size(); ++i) {
    const int64_t e = ss[ss.size() - 1 - i];
    fits = e == 1 || e == xs[xs.size() - 1 - i];
  }
  CNN_CHECK(fits, "prelu: argument 'slope' of shape ", to_string(ss),
            " does not broadcast to x of shape ", to_string(xs),
            " (for NHWC x: one slope per channel [C], or one for all [1])");
  const Tensor xc = x.contiguous(), sc = slope.contiguous();
  Tensor y = Tensor::empty(xs);
  kernels::prelu_forward(xc.data(), xs, sc.data(), ss, y.data());
  const bool gx = x.requires_grad(), gs = slope.requires_grad();
  autograd::record(
      "prelu", {x, slope}, {y}, [xd = xc.detach(), sd = sc.detach(), gx, gs](const TensorList& g) {
        const Tensor dy = g[0].contiguous();
        Tensor dx = gx ? Tensor::empty(xd.shape()) : Tensor();
        Tensor ds = gs ? Tensor::empty(sd.shape()) : Tensor();
        kernels::prelu_backward(xd.data(), xd.shape(), sd.data(), sd.shape(), dy.data(),
                                gx ? dx.data() : nullptr, gs ? ds.data() : nullptr);
        return TensorList{dx, ds};
      });
  CNN_TRACE("prelu", {x, slope}, {y});
  return y;
}

Tensor hardsigmoid(const Tensor& x, float alpha, float beta) {
  detail::check_float(x, "hardsigmoid", "x");
  CNN_CHECK(std::isfinite(alpha) && std::isfinite(beta),
            "hardsigmoid: alpha and beta must be finite, got alpha ", alpha, " and beta ", beta,
            " for x of shape ", to_string(x.shape()));
  Tensor y = pointwise_ref(
      x, "hardsigmoid",
      [alpha, beta](const float* in, float* out, int64_t n) {
        kernels::hardsigmoid_forward(alpha, beta, in, out, n);
      },
      [alpha, beta](const float* in, const float* dy, float* dx, int64_t n) {
        kernels::hardsigmoid_backward(alpha, beta, in, dy, dx, n);
      });
  CNN_TRACE("hardsigmoid", {x}, {y}, {{"alpha", alpha}, {"beta", beta}});
  return y;
}

Tensor hardswish(const Tensor& x) {
  Tensor y = pointwise_ref(x, "hardswish", kernels::hardswish_forward, kernels::hardswish_backward);
  CNN_TRACE("hardswish", {x}, {y});
  return y;
}

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_impl(x, dim, false, "softmax");
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_impl(x, dim, true, "log_softmax");
}

// Forward y = x * mask, backward dx = dy * mask, with the mask drawn here and saved.
Tensor dropout(const Tensor& x, float p, bool training, Generator& gen) {
  detail::check_float(x, "dropout", "x");
  CNN_CHECK(p >= 0.0f && p < 1.0f, "dropout: argument 'p' must be in [0, 1), got ", p,
            " for x of shape ", to_string(x.shape()));
  if (!training || p == 0.0f) return x;
  const Tensor xc = x.contiguous();
  Tensor mask = Tensor::empty(x.shape()), y = Tensor::empty(x.shape());
  kernels::dropout_forward(xc.data(), p, gen, mask.data(), y.data(), y.numel());
  autograd::record("dropout", {x}, {y},
                   [mask](const TensorList& g) { return TensorList{mul(g[0], mask)}; });
  CNN_TRACE("dropout", {x}, {y}, {{"p", p}});
  return y;
}

}  // namespace cnn
