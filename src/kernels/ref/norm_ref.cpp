#include "kernels/ref/norm_ref.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cnn/parallel.h"

namespace cnn::kernels::ref {
namespace {

// Rows per block: about 16K values, at least 32 rows, fixed by the channel count alone.
int64_t block_rows(int64_t channels) {
  return std::max<int64_t>(32, 16384 / std::max<int64_t>(1, channels));
}

// Per-channel sums over rows, in double. add_rows(begin, end, acc) adds rows [begin, end)
// into acc[width]. Threads sum whole blocks of block_rows() rows and the block sums are added
// in block order, so the result is bit-identical for any number of threads.
template <class AddRows>
std::vector<double> row_sums(int64_t rows, int64_t channels, int64_t width,
                             const AddRows& add_rows) {
  const int64_t per_block = block_rows(channels);
  const int64_t blocks = (rows + per_block - 1) / per_block;
  std::vector<double> partial(blocks * width, 0.0);
  parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      add_rows(b * per_block, std::min(rows, (b + 1) * per_block), partial.data() + b * width);
  });
  std::vector<double> total(width, 0.0);
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t i = 0; i < width; ++i) total[i] += partial[b * width + i];
  return total;
}

// Row-wise passes with no sums across rows: any split across threads gives the same bits.
template <class Rows>
void for_rows(int64_t rows, int64_t channels, const Rows& fn) {
  parallel_for(rows, block_rows(channels), fn);
}

}  // namespace

void batch_norm_stats(const float* x, int64_t rows, int64_t channels, double* mean, double* var) {
  const int64_t C = channels;
  const std::vector<double> sum = row_sums(rows, C, C, [&](int64_t r0, int64_t r1, double* acc) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = 0; c < C; ++c) acc[c] += x[r * C + c];
  });
  for (int64_t c = 0; c < C; ++c) mean[c] = sum[c] / static_cast<double>(rows);
  const std::vector<double> sq = row_sums(rows, C, C, [&](int64_t r0, int64_t r1, double* acc) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = 0; c < C; ++c) {
        const double d = x[r * C + c] - mean[c];
        acc[c] += d * d;
      }
  });
  for (int64_t c = 0; c < C; ++c) var[c] = sq[c] / static_cast<double>(rows);
}

void batch_norm_forward(const float* x, int64_t rows, int64_t channels, const float* mean,
                        const float* inv_std, const float* gamma, const float* beta, float* y) {
  const int64_t C = channels;
  std::vector<float> scale(C), shift(C);
  for (int64_t c = 0; c < C; ++c) {
    scale[c] = inv_std[c] * (gamma ? gamma[c] : 1.0f);
    shift[c] = beta ? beta[c] : 0.0f;
  }
  for_rows(rows, C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      for (int64_t c = 0; c < C; ++c) yr[c] = (xr[c] - mean[c]) * scale[c] + shift[c];
    }
  });
}

void batch_norm_backward(const float* dy, const float* x, int64_t rows, int64_t channels,
                         const float* mean, const float* inv_std, const float* gamma, bool training,
                         float* dx, float* dgamma, float* dbeta) {
  const int64_t C = channels;
  // sums[c] = sum_r dy (= dbeta), sums[C + c] = sum_r dy * xhat (= dgamma)
  const std::vector<double> sums =
      row_sums(rows, C, 2 * C, [&](int64_t r0, int64_t r1, double* acc) {
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t c = 0; c < C; ++c) {
            const float g = dy[r * C + c];
            const float xhat = (x[r * C + c] - mean[c]) * inv_std[c];
            acc[c] += g;
            acc[C + c] += static_cast<double>(g) * xhat;
          }
      });
  for (int64_t c = 0; c < C; ++c) {
    if (dbeta) dbeta[c] = static_cast<float>(sums[c]);
    if (dgamma) dgamma[c] = static_cast<float>(sums[C + c]);
  }
  if (!dx) return;
  // dx = a * (dy - mean_dy - xhat * mean_dy_xhat) with a = gamma * inv_std: the training
  // formula with 1/n moved inside; in evaluation the two means are absent.
  std::vector<float> a(C), mean_dy(C, 0.0f), mean_dy_xhat(C, 0.0f);
  for (int64_t c = 0; c < C; ++c) {
    a[c] = inv_std[c] * (gamma ? gamma[c] : 1.0f);
    if (training) {
      mean_dy[c] = static_cast<float>(sums[c] / static_cast<double>(rows));
      mean_dy_xhat[c] = static_cast<float>(sums[C + c] / static_cast<double>(rows));
    }
  }
  for_rows(rows, C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = 0; c < C; ++c) {
        const float xhat = (x[r * C + c] - mean[c]) * inv_std[c];
        dx[r * C + c] = a[c] * (dy[r * C + c] - mean_dy[c] - xhat * mean_dy_xhat[c]);
      }
  });
}

void batch_norm_relu_forward(const float* x, const float* residual, int64_t rows, int64_t channels,
                             const float* mean, const float* inv_std, const float* gamma,
                             const float* beta, float* y) {
  batch_norm_forward(x, rows, channels, mean, inv_std, gamma, beta, y);
  const int64_t C = channels;
  for_rows(rows, C, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0 * C; i < r1 * C; ++i) {
      const float s = residual != nullptr ? y[i] + residual[i] : y[i];
      y[i] = std::max(s, 0.0f);
    }
  });
}

void batch_norm_relu_backward(const float* dy, const float* x, const float* y, int64_t rows,
                              int64_t channels, const float* mean, const float* inv_std,
                              const float* gamma, bool training, float* dx, float* dgamma,
                              float* dbeta, float* dresidual) {
  const int64_t C = channels;
  float* d = dresidual;
  for_rows(rows, C, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0 * C; i < r1 * C; ++i) d[i] = y[i] <= 0.0f ? 0.0f : dy[i];
  });
  batch_norm_backward(d, x, rows, C, mean, inv_std, gamma, training, dx, dgamma, dbeta);
}

void lrn_forward(const float* x, int64_t rows, int64_t channels, int64_t size, float alpha,
                 float beta, float k, float* y, float* scale) {
  const int64_t C = channels, before = size / 2, after = (size - 1) / 2;
  for_rows(rows, C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * C;
      for (int64_t c = 0; c < C; ++c) {
        float sq = 0.0f;
        for (int64_t j = std::max<int64_t>(0, c - before); j <= std::min(C - 1, c + after); ++j)
          sq += xr[j] * xr[j];
        // PyTorch averages the window over `size` (zero padding included), then scales.
        const float s = k + alpha * (sq / static_cast<float>(size));
        scale[r * C + c] = s;
        y[r * C + c] = xr[c] * std::pow(s, -beta);
      }
    }
  });
}

void lrn_backward(const float* dy, const float* x, const float* y, const float* scale, int64_t rows,
                  int64_t channels, int64_t size, float alpha, float beta, float* dx) {
  const int64_t C = channels, before = size / 2, after = (size - 1) / 2;
  const float coef = 2.0f * alpha * beta / static_cast<float>(size);
  for_rows(rows, C, [&](int64_t r0, int64_t r1) {
    std::vector<float> t(C);  // t[c] = dy[c] * y[c] / scale[c]
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t o = r * C;
      for (int64_t c = 0; c < C; ++c) t[c] = dy[o + c] * y[o + c] / scale[o + c];
      for (int64_t j = 0; j < C; ++j) {
        float cross = 0.0f;
        for (int64_t c = std::max<int64_t>(0, j - after); c <= std::min(C - 1, j + before); ++c)
          cross += t[c];
        dx[o + j] = dy[o + j] * std::pow(scale[o + j], -beta) - coef * x[o + j] * cross;
      }
    }
  });
}

}  // namespace cnn::kernels::ref
