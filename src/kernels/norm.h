// The normalization family: what ops call, with the contracts of kernels/ref/norm_ref.h. Batch
// normalization runs the fast kernels of kernels/cpu/batch_norm.h, local response
// normalization the reference.
#pragma once

#include <cstdint>

namespace cnn::kernels {

void batch_norm_stats(const float* x, int64_t rows, int64_t channels, double* mean, double* var);
void batch_norm_forward(const float* x, int64_t rows, int64_t channels, const float* mean,
                        const float* inv_std, const float* gamma, const float* beta, float* y);
void batch_norm_backward(const float* dy, const float* x, int64_t rows, int64_t channels,
                         const float* mean, const float* inv_std, const float* gamma, bool training,
                         float* dx, float* dgamma, float* dbeta);
void batch_norm_relu_forward(const float* x, const float* residual, int64_t rows, int64_t channels,
                             const float* mean, const float* inv_std, const float* gamma,
                             const float* beta, float* y);
void batch_norm_relu_backward(const float* dy, const float* x, const float* y, int64_t rows,
                              int64_t channels, const float* mean, const float* inv_std,
                              const float* gamma, bool training, float* dx, float* dgamma,
                              float* dbeta, float* dresidual);

void lrn_forward(const float* x, int64_t rows, int64_t channels, int64_t size, float alpha,
                 float beta, float k, float* y, float* scale);
void lrn_backward(const float* dy, const float* x, const float* y, const float* scale, int64_t rows,
                  int64_t channels, int64_t size, float alpha, float beta, float* dx);

}  // namespace cnn::kernels
