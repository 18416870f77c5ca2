// Activations (the lecture's sigma), softmax / log_softmax along a dimension, and dropout.
// The pointwise activations call the fast kernels of kernels/cpu/activation.h, softmax and
// dropout those of kernels/ref/activation_ref.h, where the forward and backward formulas sit
// side by side.
#include "cnn/ops/activation.h"

#include "cnn/autograd.h"
#include "cnn/ops/elementwise.h"
#include "cnn/trace.h"
#include "kernels/cpu/activation.h"
#include "kernels/ref/activation_ref.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;
using kernels::ref::Activation;

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
  kernels::ref::softmax_forward(xc.data(), outer, extent, inner, log, y.data());
  autograd::record(
      name, {x}, {y}, [yd = y.detach(), outer, extent, inner, log](const TensorList& g) {
        const Tensor dy = g[0].contiguous();
        Tensor dx = Tensor::empty(yd.shape());
        kernels::ref::softmax_backward(yd.data(), dy.data(), outer, extent, inner, log, dx.data());
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
  kernels::ref::dropout_forward(xc.data(), p, gen, mask.data(), y.data(), y.numel());
  autograd::record("dropout", {x}, {y},
                   [mask](const TensorList& g) { return TensorList{mul(g[0], mask)}; });
  CNN_TRACE("dropout", {x}, {y}, {{"p", p}});
  return y;
}

}  // namespace cnn
