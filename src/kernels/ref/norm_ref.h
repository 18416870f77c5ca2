// Reference kernels for batch normalization and local response normalization over dense
// channels-last data, viewed as `rows` positions (batch x rows x cols) of `channels` values:
// x[r, c] at x[r * channels + c]. The inner loops run over channels, contiguous in NHWC.
#pragma once

#include <cstdint>

namespace cnn::kernels::ref {

// ---- batch normalization (n = rows values per channel) ----

// Batch mean and *biased* variance per channel, accumulated in double in two passes
// (mean, then the mean of squared deviations, which has no E[x^2] - E[x]^2 cancellation).
void batch_norm_stats(const float* x, int64_t rows, int64_t channels, double* mean, double* var);

// y[r, c] = (x[r, c] - mean[c]) * inv_std[c] * gamma[c] + beta[c]; null gamma means 1, null
// beta means 0.
void batch_norm_forward(const float* x, int64_t rows, int64_t channels, const float* mean,
                        const float* inv_std, const float* gamma, const float* beta, float* y);

// Backward, with xhat = (x - mean) * inv_std and gamma = 1 when null:
//   dbeta[c]  = sum_r dy[r, c]
//   dgamma[c] = sum_r dy[r, c] * xhat[r, c]
//   training (mean and inv_std are the batch's, so they depend on x):
//     dx = gamma * inv_std / n * (n * dy - dbeta - xhat * dgamma)
//   evaluation (running statistics, constants): dx = gamma * inv_std * dy
// The sums are accumulated in double. dx, dgamma and dbeta may each be null when not wanted.
void batch_norm_backward(const float* dy, const float* x, int64_t rows, int64_t channels,
                         const float* mean, const float* inv_std, const float* gamma, bool training,
                         float* dx, float* dgamma, float* dbeta);

// Batch normalization, an optional residual and a ReLU as one op (the basic blocks' ends):
//   y[r, c] = max(batch_norm_forward(x)[r, c] + residual[r, c], 0)      (residual null: + 0)
// computed as those two steps in float.
void batch_norm_relu_forward(const float* x, const float* residual, int64_t rows, int64_t channels,
                             const float* mean, const float* inv_std, const float* gamma,
                             const float* beta, float* y);

// Backward from the output y: the ReLU's gradient d = y <= 0 ? 0 : dy (a NaN passes dy, as in
// relu's backward), written to dresidual (the residual's gradient; required, as scratch space
// when there is no residual), then batch_norm_backward with d for dy: training, dx, dgamma and
// dbeta as there.
void batch_norm_relu_backward(const float* dy, const float* x, const float* y, int64_t rows,
                              int64_t channels, const float* mean, const float* inv_std,
                              const float* gamma, bool training, float* dx, float* dgamma,
                              float* dbeta, float* dresidual);

// ---- local response normalization (PyTorch's F.local_response_norm) ----

// The window of channel c covers c - size/2 .. c + (size-1)/2 (zero beyond the edges):
//   scale[r, c] = k + alpha / size * sum_{c' in window(c)} x[r, c']^2
//   y[r, c]     = x[r, c] * scale[r, c]^-beta
// scale is written for the backward pass.
void lrn_forward(const float* x, int64_t rows, int64_t channels, int64_t size, float alpha,
                 float beta, float k, float* y, float* scale);

// Channel j appears in the windows of c = j - (size-1)/2 .. j + size/2, so
//   dx[j] = dy[j] * scale[j]^-beta
//         - 2 * alpha * beta / size * x[j] * sum_{c : j in window(c)} dy[c] * y[c] / scale[c]
// (dy[c] * y[c] / scale[c] = dy[c] * x[c] * scale[c]^(-beta-1)).
void lrn_backward(const float* dy, const float* x, const float* y, const float* scale, int64_t rows,
                  int64_t channels, int64_t size, float alpha, float beta, float* dx);

}  // namespace cnn::kernels::ref
