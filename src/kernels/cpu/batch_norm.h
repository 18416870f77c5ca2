// Batch normalization over NHWC data ([rows, channels], channels contiguous), fast: the same
// contracts as kernels/ref/norm_ref.h (which stays the oracle), with every pass vectorized
// across the channels and one pass over the data per set of sums (the reference takes two for
// the variance): the statistics are taken about a shift (the first row's values), so
// E[(x-k)^2] - E[x-k]^2 does not cancel when the mean is large against the spread. Sums and
// the per-element arithmetic stay in double, as in the reference: the passes are bound by
// memory, and float sums here measurably degrade the first layers' gradients of deep networks
// (tests/models). Rows are summed in blocks fixed by the data, not the threads, and blocks are
// added in order: the same bits for any thread count. Compiled for AVX-512, AVX2 and baseline
// x86-64, chosen at load time. batch_norm_relu_* fuse the ReLU (and a residual) into the same
// passes: forward, the normalization, the add and the clamp in one pass (one formula with
// batch_norm_forward, so fused and unfused give the same bits); backward, the ReLU's gate in
// the sums' pass, which writes the gated gradient once for the residual and the dx pass.
#pragma once

#include <cstdint>

namespace cnn::kernels::cpu {

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

}  // namespace cnn::kernels::cpu
