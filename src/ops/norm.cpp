// Normalization ops over channels-last tensors x [..., C]: batch_norm and local_response_norm.
// Forward and backward each call a dedicated kernel of kernels/norm.h (formulas in
// kernels/ref/norm_ref.h); the backward nodes are first order (their results carry no graph).
#include "cnn/ops/norm.h"

#include <cmath>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/distributed.h"
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
// Sync batch norm: `count` is the rows of every rank together, and backward sums over them.
struct Normalizer {
  std::vector<float> mean, inv_std;
  int64_t count = 0;
  distributed::Communicator* sync = nullptr;
};

// Sync batch norm's statistics: each rank's (rows, mean, biased variance) all-gathered and
// combined in rank order (Chan et al.'s parallel variance: the pooled variance is the mean of
// the ranks' variances plus the variance of their means, each weighted by rows), so every rank
// computes the same bits. Returns the rows of all ranks; mean and var become the global ones.
int64_t combine_over_ranks(distributed::Communicator& comm, int64_t n, std::vector<double>& mean,
                           std::vector<double>& var) {
  const size_t C = mean.size();
  std::vector<double> mine(1 + 2 * C);
  mine[0] = static_cast<double>(n);
  std::copy(mean.begin(), mean.end(), mine.begin() + 1);
  std::copy(var.begin(), var.end(), mine.begin() + 1 + static_cast<std::ptrdiff_t>(C));
  std::vector<double> all(mine.size() * static_cast<size_t>(comm.size()));
  comm.all_gather(mine, all, "sync batch norm: the batch statistics");
  double total = 0.0;
  std::vector<double> sum(C, 0.0), m2(C, 0.0);
  for (int r = 0; r < comm.size(); ++r) total += all[static_cast<size_t>(r) * mine.size()];
  for (size_t c = 0; c < C; ++c) {
    for (int r = 0; r < comm.size(); ++r) {
      const double* row = all.data() + static_cast<size_t>(r) * mine.size();
      sum[c] += row[0] * row[1 + c];
    }
    const double mu = total > 0.0 ? sum[c] / total : 0.0;
    for (int r = 0; r < comm.size(); ++r) {
      const double* row = all.data() + static_cast<size_t>(r) * mine.size();
      const double d = row[1 + c] - mu;
      m2[c] += row[0] * (row[1 + C + c] + d * d);
    }
    mean[c] = mu;
    var[c] = total > 0.0 ? m2[c] / total : 0.0;
  }
  return static_cast<int64_t>(total);
}

// Sync batch norm's backward for rows [n, C] of this rank: the sums of dy and dy * xhat over
// every rank (all-reduced in double), then dx = gamma * inv_std * (dy - sum_dy / N -
// xhat * sum_dy_xhat / N); dgamma and dbeta get this rank's sums.
void sync_backward(const float* dy, const float* x, int64_t n, int64_t C, const Normalizer& norm,
                   const float* gamma, float* dx, float* dgamma, float* dbeta) {
  std::vector<double> sums(2 * static_cast<size_t>(C), 0.0);  // [sum dy | sum dy * xhat]
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < C; ++c) {
      const double g = dy[r * C + c];
      sums[c] += g;
      sums[C + c] += g * ((x[r * C + c] - norm.mean[c]) * norm.inv_std[c]);
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    if (dbeta != nullptr) dbeta[c] = static_cast<float>(sums[c]);
    if (dgamma != nullptr) dgamma[c] = static_cast<float>(sums[C + c]);
  }
  norm.sync->all_reduce_sum(std::span<double>(sums), "sync batch norm: the backward sums");
  if (dx == nullptr) return;
  const double N = static_cast<double>(norm.count);
  std::vector<float> scale(C), mean_dy(C), mean_dy_xhat(C);
  for (int64_t c = 0; c < C; ++c) {
    scale[c] = (gamma != nullptr ? gamma[c] : 1.0f) * norm.inv_std[c];
    mean_dy[c] = static_cast<float>(sums[c] / N);
    mean_dy_xhat[c] = static_cast<float>(sums[C + c] / N);
  }
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < C; ++c) {
      const float xhat = (x[r * C + c] - norm.mean[c]) * norm.inv_std[c];
      dx[r * C + c] = scale[c] * (dy[r * C + c] - mean_dy[c] - xhat * mean_dy_xhat[c]);
    }
  }
}

// Training: the batch mean and biased variance of x [n, C] (dense), summed in double. The
// running estimates, when defined, are buffers rather than graph nodes: they are updated in
// place, through the storage they share with the caller's tensors (strided or not), with the
// unbiased variance: r_mu = (1 - m) r_mu + m mu, r_var = (1 - m) r_var + m var n / (n - 1).
Normalizer batch_statistics(const Tensor& x, int64_t n, const Tensor& running_mean,
                            const Tensor& running_var, const BatchNormOptions& options) {
  const int64_t C = x.size(-1);
  std::vector<double> mean(C, 0.0), var(C, 0.0);
  if (n > 0) kernels::batch_norm_stats(x.data(), n, C, mean.data(), var.data());
  Normalizer norm{std::vector<float>(C), std::vector<float>(C), n, options.sync};
  if (options.sync != nullptr) {
    norm.count = combine_over_ranks(*options.sync, n, mean, var);
    CNN_CHECK(norm.count > 1, "batch_norm: sync batch norm over ", options.sync->size(),
              " ranks needs more than 1 value per channel in all, got ", norm.count);
    n = norm.count;  // the running variance's correction is the global batch's
  }
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
  CNN_CHECK(!options.training || options.sync != nullptr || rows_of(x) > 1, op,
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
        if (training && norm.sync != nullptr) {
          sync_backward(dy.data(), xd.data(), n, C, norm, data_or_null(gd),
                        need_x ? dx.data() : nullptr, need_gamma ? dgamma.data() : nullptr,
                        need_beta ? dbeta.data() : nullptr);
          return TensorList{dx, dgamma, dbeta};
        }
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
  autograd::record(
      "batch_norm_relu", {x, gamma, beta, residual}, {y},
      [xd = xc.detach(), yd = y.detach(), gd = gc.defined() ? gc.detach() : Tensor(),
       norm = std::move(norm), training = options.training, n, C, need_x, need_gamma, need_beta,
       need_residual](const TensorList& g) {
        const Tensor dy = g[0].contiguous();
        Tensor dx = need_x ? Tensor::empty(xd.shape()) : Tensor();
        Tensor dgamma = need_gamma ? Tensor::empty({C}) : Tensor();
        Tensor dbeta = need_beta ? Tensor::empty({C}) : Tensor();
        Tensor dresidual = Tensor::empty(xd.shape());  // scratch when the residual needs none
        if (training && norm.sync != nullptr) {
          // the ReLU's gate, then sync batch norm's backward on it
          const float* yp = yd.data();
          const float* gp = dy.data();
          float* d = dresidual.data();
          for (int64_t i = 0; i < n * C; ++i) d[i] = yp[i] <= 0.0f ? 0.0f : gp[i];
          sync_backward(d, xd.data(), n, C, norm, data_or_null(gd), need_x ? dx.data() : nullptr,
                        need_gamma ? dgamma.data() : nullptr, need_beta ? dbeta.data() : nullptr);
          return TensorList{dx, dgamma, dbeta, need_residual ? dresidual : Tensor()};
        }
        kernels::batch_norm_relu_backward(dy.data(), xd.data(), yd.data(), n, C, norm.mean.data(),
                                          norm.inv_std.data(), data_or_null(gd), training,
                                          need_x ? dx.data() : nullptr,
                                          need_gamma ? dgamma.data() : nullptr,
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
