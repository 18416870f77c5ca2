// linear, the lecture's fully connected layer, as GEMMs (llm.c's matmul, row-major):
//   forward          y[n, j]  = sum_i x[n, i] W[j, i] + b[j]      y  = x W^T + b    [N, out]
//   backward data    dx[n, i] = sum_j dy[n, j] W[j, i]            dx = dy W         [N, in]
//   backward weight  dW[j, i] = sum_n dy[n, j] x[n, i]            dW = dy^T x       [out, in]
//   backward bias    db[j]    = sum_n dy[n, j]
// Inputs of rank other than 2 are flattened to [N, in] over their leading dimensions.
#include "cnn/ops/linear.h"

#include <algorithm>

#include "cnn/autograd.h"
#include "cnn/ops/reduce.h"
#include "cnn/trace.h"
#include "kernels/gemm.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;

void check_linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  detail::check_float(x, "linear", "x");
  CNN_CHECK(x.dim() >= 1, "linear: argument 'x' must have rank at least 1 [..., in_features], ",
            "got shape ", to_string(x.shape()));
  detail::check_rank(weight, 2, "linear", "weight", "[out_features, in_features]");
  CNN_CHECK(x.size(-1) == weight.size(1), "linear: x has ", x.size(-1),
            " features in its last dimension but weight of shape ", to_string(weight.shape()),
            " expects in_features = ", weight.size(1), " (x shape ", to_string(x.shape()), ")");
  if (bias.defined()) {
    detail::check_rank(bias, 1, "linear", "bias", "[out_features]");
    CNN_CHECK(bias.size(0) == weight.size(0), "linear: argument 'bias' must have shape [",
              weight.size(0), "] (one per output feature of weight ", to_string(weight.shape()),
              "), got shape ", to_string(bias.shape()));
  }
}

// x [N, in], already checked.
Tensor linear_2d(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
  const Tensor xc = x.contiguous(), wc = weight.contiguous();
  Tensor y = Tensor::empty({n, out});
  float beta = 0.0f;
  if (bias.defined()) {  // start from the bias and let the GEMM add x W^T onto it
    const Tensor bc = bias.contiguous();
    for (int64_t r = 0; r < n; ++r) std::copy_n(bc.data(), out, y.data() + r * out);
    beta = 1.0f;
  }
  kernels::gemm_f32(false, true, n, out, in, xc.data(), in, wc.data(), in, beta, y.data(), out);

  const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  autograd::record("linear", {x, weight, bias}, {y},
                   [n, in, out, need_x, need_w, need_b, x_saved = need_w ? xc.detach() : Tensor(),
                    w_saved = need_x ? wc.detach() : Tensor()](const TensorList& grads) {
                     const Tensor dy = grads[0].contiguous();
                     Tensor dx, dw, db;
                     if (need_x) {  // dx = dy W
                       dx = Tensor::empty({n, in});
                       kernels::gemm_f32(false, false, n, in, out, dy.data(), out, w_saved.data(),
                                         in, 0.0f, dx.data(), in);
                     }
                     if (need_w) {  // dW = dy^T x
                       dw = Tensor::empty({out, in});
                       kernels::gemm_f32(true, false, out, in, n, dy.data(), out, x_saved.data(),
                                         in, 0.0f, dw.data(), in);
                     }
                     if (need_b) db = sum(dy, {0});  // db = sum over rows of dy
                     return TensorList{dx, dw, db};
                   });
  CNN_TRACE("linear", {x, weight, bias}, {y});
  return y;
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_linear(x, weight, bias);
  if (x.dim() == 2) return linear_2d(x, weight, bias);
  Shape lead(x.shape().begin(), x.shape().end() - 1);
  const int64_t rows = checked_numel(lead);
  Shape out_shape = lead;
  out_shape.push_back(weight.size(0));
  return linear_2d(x.reshape({rows, x.size(-1)}), weight, bias).reshape(out_shape);
}

}  // namespace cnn
