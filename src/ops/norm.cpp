// Normalization ops over channels-last tensors x [..., C]: batch_norm and local_response_norm.
// Forward and backward each call a dedicated kernel of kernels/norm.h (formulas in
// kernels/ref/norm_ref.h); the backward nodes are first order (their results carry no graph).
#include "cnn/ops/norm.h"

#include <cmath>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/elementwise.h"
#include "cnn/trace.h"
#include "kernels/norm.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;

// Positions per channel: the product of every extent but the last.
int64_t rows_of(const Tensor& x) {
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < x.dim(); ++d) rows *= x.size(d);
  return rows;
}

// An optional per-channel vector (gamma, beta, running statistics): undefined, or float32 of
// shape [C] where C is x's last extent.
void check_channel_vector(const Tensor& t, const Tensor& x, const char* arg) {
  if (!t.defined()) return;
  detail::check_float(t, "batch_norm", arg);
  const int64_t C = x.size(-1);
  CNN_CHECK(t.shape() == Shape{C}, "batch_norm: argument '", arg, "' must have shape [", C,
            "] to match the channels (last dimension) of x of shape ", to_string(x.shape()),
            ", got shape ", to_string(t.shape()));
}

const float* data_or_null(const Tensor& t) {
  return t.defined() ? t.data() : nullptr;
}

// What batch_norm normalizes with, per channel: y = (x - mean) * inv_std * gamma + beta.
struct Normalizer {
  std::vector<float> mean, inv_std;
};

// Training: the batch mean and biased variance of x [n, C] (dense), summed in double. The
// running estimates, when defined, are buffers rather than graph nodes: they are updated in
// place, through the storage they share with the caller's tensors (strided or not), with the
// unbiased variance: r_mu = (1 - m) r_mu + m mu, r_var = (1 - m) r_var + m var n / (n - 1).
Normalizer batch_statistics(const Tensor& x, int64_t n, const Tensor& running_mean,
                            const Tensor& running_var, const BatchNormOptions& options) {
  const int64_t C = x.size(-1);
  std::vector<double> mean(C), var(C);
  kernels::batch_norm_stats(x.data(), n, C, mean.data(), var.data());
  Normalizer norm{std::vector<float>(C), std::vector<float>(C)};
  for (int64_t c = 0; c < C; ++c) {
    norm.mean[c] = static_cast<float>(mean[c]);
    norm.inv_std[c] = static_cast<float>(1.0 / std::sqrt(var[c] + options.eps));
  }
  if (running_mean.defined()) {
    Tensor rm = running_mean, rv = running_var;
    const double m = options.momentum, unbias = static_cast<double>(n) / static_cast<double>(n - 1);
    for (int64_t c = 0; c < C; ++c) {
      float& r_mu = rm.data()[c * rm.strides()[0]];
      float& r_var = rv.data()[c * rv.strides()[0]];
      r_mu = static_cast<float>((1.0 - m) * r_mu + m * mean[c]);
      r_var = static_cast<float>((1.0 - m) * r_var + m * var[c] * unbias);
    }
    rm.mark_modified();
    rv.mark_modified();
  }
  return norm;
}

// Evaluation: the running estimates, constants of the graph.
Normalizer running_statistics(const Tensor& running_mean, const Tensor& running_var, float eps) {
  Normalizer norm{running_mean.to_vector(), running_var.to_vector()};
  for (float& v : norm.inv_std)
    v = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v) + eps));
  return norm;
}

}  // namespace

// Forward: y = (x - mu) * inv_std * gamma + beta, inv_std = 1 / sqrt(var + eps), with (mu, var)
// from batch_statistics (training) or running_statistics (evaluation). Backward: see
// kernels::batch_norm_backward (kernels/ref/norm_ref.h).
namespace {

// The arguments' checks shared by batch_norm and batch_norm_relu (`op` names the caller).
void check_batch_norm(const char* op, const Tensor& x, const Tensor& running_mean,
                      const Tensor& running_var, const Tensor& gamma, const Tensor& beta,
                      const BatchNormOptions& options) {
  detail::check_float(x, op, "x");
  CNN_CHECK(x.dim() >= 2, op,
            ": argument 'x' must have rank >= 2 [batch, ..., channels], got shape ",
            to_string(x.shape()));
  check_channel_vector(running_mean, x, "running_mean");
  check_channel_vector(running_var, x, "running_var");
  check_channel_vector(gamma, x, "gamma");
  check_channel_vector(beta, x, "beta");
  CNN_CHECK(running_mean.defined() == running_var.defined(), op,
            ": 'running_mean' and 'running_var' must both be defined or both undefined (got ",
            running_mean.defined() ? "running_mean only" : "running_var only", ")");
  CNN_CHECK(options.training || running_mean.defined(), op,
            ": evaluation mode (training = false) needs running_mean and running_var, "
            "got undefined tensors for x of shape ",
            to_string(x.shape()));
  CNN_CHECK(options.eps >= 0.0f, op, ": option 'eps' must be >= 0, got ", options.eps);
  CNN_CHECK(!options.training || rows_of(x) > 1, op,
            ": expected more than 1 value per channel when training, got x of shape ",
            to_string(x.shape()));
}

Normalizer normalizer(const Tensor& xc, const Tensor& running_mean, const Tensor& running_var,
                      const BatchNormOptions& options) {
  return options.training ? batch_statistics(xc, rows_of(xc), running_mean, running_var, options)
                          : running_statistics(running_mean, running_var, options.eps);
}

}  // namespace

// Forward: y = (x - mu) * inv_std * gamma + beta, inv_std = 1 / sqrt(var + eps), with (mu, var)
// from batch_statistics (training) or running_statistics (evaluation). Backward: see
// kernels::batch_norm_backward (kernels/ref/norm_ref.h).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& gamma, const Tensor& beta, const BatchNormOptions& options) {
  check_batch_norm("batch_norm", x, running_mean, running_var, gamma, beta, options);
  const int64_t C = x.size(-1), n = rows_of(x);
  const Tensor xc = x.contiguous();
  Normalizer norm = normalizer(xc, running_mean, running_var, options);

  const Tensor gc = gamma.defined() ? gamma.contiguous() : Tensor();
  const Tensor bc = beta.defined() ? beta.contiguous() : Tensor();
  Tensor y = Tensor::empty(x.shape());
  kernels::batch_norm_forward(xc.data(), n, C, norm.mean.data(), norm.inv_std.data(),
                              data_or_null(gc), data_or_null(bc), y.data());

  const bool need_x = x.requires_grad();
  const bool need_gamma = gamma.defined() && gamma.requires_grad();
  const bool need_beta = beta.defined() && beta.requires_grad();
  autograd::record(
      "batch_norm", {x, gamma, beta}, {y},
      [xd = xc.detach(), gd = gc.defined() ? gc.detach() : Tensor(), norm = std::move(norm),
       training = options.training, n, C, need_x, need_gamma, need_beta](const TensorList& g) {
        const Tensor dy = g[0].contiguous();
        Tensor dx = need_x ? Tensor::empty(xd.shape()) : Tensor();
        Tensor dgamma = need_gamma ? Tensor::empty({C}) : Tensor();
        Tensor dbeta = need_beta ? Tensor::empty({C}) : Tensor();
        kernels::batch_norm_backward(
            dy.data(), xd.data(), n, C, norm.mean.data(), norm.inv_std.data(), data_or_null(gd),
            training, need_x ? dx.data() : nullptr, need_gamma ? dgamma.data() : nullptr,
            need_beta ? dbeta.data() : nullptr);
        return TensorList{dx, dgamma, dbeta};
      });
  CNN_TRACE("batch_norm", {x, running_mean, running_var, gamma, beta}, {y},
            {{"training", options.training}, {"momentum", options.momentum}, {"eps", options.eps}});
  return y;
}

// Forward: y = max(batch_norm(x) + residual, 0) in one pass after the statistics' pass.
// Backward: d = y <= 0 ? 0 : dy, the residual's gradient, written by the pass that sums the
// batch norm's terms; then the batch norm's dx pass on d (kernels::batch_norm_relu_backward).
Tensor batch_norm_relu(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                       const Tensor& gamma, const Tensor& beta, const BatchNormOptions& options,
                       const Tensor& residual) {
  check_batch_norm("batch_norm_relu", x, running_mean, running_var, gamma, beta, options);
  if (residual.defined()) {
    detail::check_float(residual, "batch_norm_relu", "residual");
    CNN_CHECK(residual.shape() == x.shape(),
              "batch_norm_relu: argument 'residual' must have the shape of x, ",
              to_string(x.shape()), ", got shape ", to_string(residual.shape()));
  }
  if (trace::tracing()) {  // the exported graph shows the ops it is made of
    const Tensor y = batch_norm(x, running_mean, running_var, gamma, beta, options);
    return relu(residual.defined() ? add(residual, y) : y);
  }
  const int64_t C = x.size(-1), n = rows_of(x);
  const Tensor xc = x.contiguous();
  const Tensor rc = residual.defined() ? residual.contiguous() : Tensor();
  Normalizer norm = normalizer(xc, running_mean, running_var, options);

  const Tensor gc = gamma.defined() ? gamma.contiguous() : Tensor();
  const Tensor bc = beta.defined() ? beta.contiguous() : Tensor();
  Tensor y = Tensor::empty(x.shape());
  kernels::batch_norm_relu_forward(xc.data(), data_or_null(rc), n, C, norm.mean.data(),
                                   norm.inv_std.data(), data_or_null(gc), data_or_null(bc),
                                   y.data());

  const bool need_x = x.requires_grad();
  const bool need_gamma = gamma.defined() && gamma.requires_grad();
  const bool need_beta = beta.defined() && beta.requires_grad();
  const bool need_residual = residual.defined() && residual.requires_grad();
  autograd::record("batch_norm_relu", {x, gamma, beta, residual}, {y},
                   [xd = xc.detach(), yd = y.detach(), gd = gc.defined() ? gc.detach() : Tensor(),
                    norm = std::move(norm), training = options.training, n, C, need_x, need_gamma,
                    need_beta, need_residual](const TensorList& g) {
                     const Tensor dy = g[0].contiguous();
                     Tensor dx = need_x ? Tensor::empty(xd.shape()) : Tensor();
                     Tensor dgamma = need_gamma ? Tensor::empty({C}) : Tensor();
                     Tensor dbeta = need_beta ? Tensor::empty({C}) : Tensor();
                     Tensor dresidual =
                         Tensor::empty(xd.shape());  // scratch when the residual needs none
                     kernels::batch_norm_relu_backward(
                         dy.data(), xd.data(), yd.data(), n, C, norm.mean.data(),
                         norm.inv_std.data(), data_or_null(gd), training,
                         need_x ? dx.data() : nullptr, need_gamma ? dgamma.data() : nullptr,
                         need_beta ? dbeta.data() : nullptr, dresidual.data());
                     return TensorList{dx, dgamma, dbeta, need_residual ? dresidual : Tensor()};
                   });
  return y;
}

Tensor local_response_norm(const Tensor& x, const LocalResponseNormOptions& options) {
  detail::check_float(x, "local_response_norm", "x");
  CNN_CHECK(x.dim() >= 1,
            "local_response_norm: argument 'x' must have rank >= 1 [..., channels], got shape ",
            to_string(x.shape()));
  CNN_CHECK(options.size >= 1, "local_response_norm: option 'size' must be >= 1, got ",
            options.size, " for x of shape ", to_string(x.shape()));
  const int64_t C = x.size(-1), rows = rows_of(x);
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape()), scale = Tensor::empty(x.shape());
  kernels::lrn_forward(xc.data(), rows, C, options.size, options.alpha, options.beta, options.k,
                       y.data(), scale.data());
  autograd::record(
      "local_response_norm", {x}, {y},
      [xd = xc.detach(), yd = y.detach(), scale, rows, C, options](const TensorList& g) {
        const Tensor dy = g[0].contiguous();
        Tensor dx = Tensor::empty(xd.shape());
        kernels::lrn_backward(dy.data(), xd.data(), yd.data(), scale.data(), rows, C, options.size,
                              options.alpha, options.beta, dx.data());
        return TensorList{dx};
      });
  CNN_TRACE(
      "local_response_norm", {x}, {y},
      {{"size", options.size}, {"alpha", options.alpha}, {"beta", options.beta}, {"k", options.k}});
  return y;
}

}  // namespace cnn
