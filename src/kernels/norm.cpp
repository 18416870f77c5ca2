#include "kernels/norm.h"

#include "kernels/cpu/batch_norm.h"
#include "kernels/ref/norm_ref.h"

namespace cnn::kernels {

void batch_norm_stats(const float* x, int64_t rows, int64_t channels, double* mean, double* var) {
  cpu::batch_norm_stats(x, rows, channels, mean, var);
}
void batch_norm_forward(const float* x, int64_t rows, int64_t channels, const float* mean,
                        const float* inv_std, const float* gamma, const float* beta, float* y) {
  cpu::batch_norm_forward(x, rows, channels, mean, inv_std, gamma, beta, y);
}
void batch_norm_backward(const float* dy, const float* x, int64_t rows, int64_t channels,
                         const float* mean, const float* inv_std, const float* gamma, bool training,
                         float* dx, float* dgamma, float* dbeta) {
  cpu::batch_norm_backward(dy, x, rows, channels, mean, inv_std, gamma, training, dx, dgamma,
                           dbeta);
}

void batch_norm_relu_forward(const float* x, const float* residual, int64_t rows, int64_t channels,
                             const float* mean, const float* inv_std, const float* gamma,
                             const float* beta, float* y) {
  cpu::batch_norm_relu_forward(x, residual, rows, channels, mean, inv_std, gamma, beta, y);
}
void batch_norm_relu_backward(const float* dy, const float* x, const float* y, int64_t rows,
                              int64_t channels, const float* mean, const float* inv_std,
                              const float* gamma, bool training, float* dx, float* dgamma,
                              float* dbeta, float* dresidual) {
  cpu::batch_norm_relu_backward(dy, x, y, rows, channels, mean, inv_std, gamma, training, dx,
                                dgamma, dbeta, dresidual);
}

void lrn_forward(const float* x, int64_t rows, int64_t channels, int64_t size, float alpha,
                 float beta, float k, float* y, float* scale) {
  ref::lrn_forward(x, rows, channels, size, alpha, beta, k, y, scale);
}
void lrn_backward(const float* dy, const float* x, const float* y, const float* scale, int64_t rows,
                  int64_t channels, int64_t size, float alpha, float beta, float* dx) {
  ref::lrn_backward(dy, x, y, scale, rows, channels, size, alpha, beta, dx);
}

}  // namespace cnn::kernels
