#include "kernels/cpu/batch_norm.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/cpu/target_clones.h"

namespace cnn::kernels::cpu {
namespace {

constexpr int64_t kSumBlock = 64;

// For 16 and 32 channels the per-channel sums live in registers across the rows (GCC's vector
// types, lowered to each clone's instruction set) instead of being loaded and stored once per
// row: the same operations in the same order as the loops below, so the same bits.
using V8d = double __attribute__((vector_size(64)));
using V8f = float __attribute__((vector_size(32)));

// sums() for channels = 8 * kVectors
template <int kVectors>
[[gnu::always_inline]] inline void sums_fixed(const float* a, const float* b, const double* k,
                                              const double* kb, int64_t r0, int64_t r1, double* s1,
                                              double* s2) {
  constexpr int64_t kChannels = 8 * kVectors;
  V8d kv[kVectors], kbv[kVectors], t1[kVectors], t2[kVectors];
  std::memcpy(kv, k, sizeof kv);  // memcpy: the arrays of double need not be 64-byte aligned
  std::memcpy(kbv, kb, sizeof kbv);
  std::memcpy(t1, s1, sizeof t1);
  std::memcpy(t2, s2, sizeof t2);
  for (int64_t r = r0; r < r1; ++r) {
    const float* ar = a + r * kChannels;
    const float* br = b + r * kChannels;
    for (int v = 0; v < kVectors; ++v) {
      V8f af, bf;
      std::memcpy(&af, ar + 8 * v, sizeof af);
      std::memcpy(&bf, br + 8 * v, sizeof bf);
      const V8d u = __builtin_convertvector(af, V8d) - kv[v];
      t1[v] += u;
      t2[v] += u * (__builtin_convertvector(bf, V8d) - kbv[v]);
    }
  }
  std::memcpy(s1, t1, sizeof t1);
  std::memcpy(s2, t2, sizeof t2);
}

// gated_sums() for channels = 8 * kVectors
template <int kVectors>
[[gnu::always_inline]] inline void gated_sums_fixed(const float* dy, const float* y, const float* x,
                                                    const double* m, int64_t r0, int64_t r1,
                                                    float* d, double* s1, double* s2) {
  using V8i = int32_t __attribute__((vector_size(32)));
  constexpr int64_t kChannels = 8 * kVectors;
  V8d mv[kVectors], t1[kVectors], t2[kVectors];
  std::memcpy(mv, m, sizeof mv);
  std::memcpy(t1, s1, sizeof t1);
  std::memcpy(t2, s2, sizeof t2);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t o = r * kChannels;
    for (int v = 0; v < kVectors; ++v) {
      V8f yv, xv;
      V8i g;
      std::memcpy(&yv, y + o + 8 * v, sizeof yv);
      std::memcpy(&xv, x + o + 8 * v, sizeof xv);
      std::memcpy(&g, dy + o + 8 * v, sizeof g);
      g &= ~(yv <= 0.0f);  // the comparison is -1 where y <= 0, 0 elsewhere (NaN included)
      std::memcpy(d + o + 8 * v, &g, sizeof g);
      V8f gf;
      std::memcpy(&gf, &g, sizeof gf);
      const V8d u = __builtin_convertvector(gf, V8d);
      t1[v] += u;
      t2[v] += u * (__builtin_convertvector(xv, V8d) - mv[v]);
    }
  }
  std::memcpy(s1, t1, sizeof t1);
  std::memcpy(s2, t2, sizeof t2);
}

// normalize() for channels = 8 * kVectors, the per-channel constants in registers
template <int kVectors>
[[gnu::always_inline]] inline void normalize_fixed(const float* x, const float* residual,
                                                   const double* m, const double* q,
                                                   const double* o, bool relu, int64_t r0,
                                                   int64_t r1, float* y) {
  constexpr int64_t kChannels = 8 * kVectors;
  V8d mv[kVectors], qv[kVectors], ov[kVectors];
  std::memcpy(mv, m, sizeof mv);
  std::memcpy(qv, q, sizeof qv);
  std::memcpy(ov, o, sizeof ov);
  const V8f zero = {};
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t at = r * kChannels;
    for (int v = 0; v < kVectors; ++v) {
      V8f xv;
      std::memcpy(&xv, x + at + 8 * v, sizeof xv);
      V8f t =
          __builtin_convertvector((__builtin_convertvector(xv, V8d) - mv[v]) * qv[v] + ov[v], V8f);
      if (relu) {
        if (residual != nullptr) {
          V8f rv;
          std::memcpy(&rv, residual + at + 8 * v, sizeof rv);
          t = rv + t;
        }
        t = t < zero ? zero : t;  // std::max(t, 0.0f)
      }
      std::memcpy(y + at + 8 * v, &t, sizeof t);
    }
  }
}

// affine() for channels = 8 * kVectors, the per-channel constants in registers
template <int kVectors>
[[gnu::always_inline]] inline void affine_fixed(const float* a, const float* b, const double* m,
                                                const double* p, const double* q, const double* o,
                                                int64_t r0, int64_t r1, float* out) {
  constexpr int64_t kChannels = 8 * kVectors;
  V8d mv[kVectors], pv[kVectors], qv[kVectors], ov[kVectors];
  std::memcpy(mv, m, sizeof mv);
  std::memcpy(pv, p, sizeof pv);
  std::memcpy(qv, q, sizeof qv);
  std::memcpy(ov, o, sizeof ov);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t at = r * kChannels;
    for (int v = 0; v < kVectors; ++v) {
      V8f av, bv;
      std::memcpy(&av, a + at + 8 * v, sizeof av);
      std::memcpy(&bv, b + at + 8 * v, sizeof bv);
      const V8f t =
          __builtin_convertvector(__builtin_convertvector(av, V8d) * pv[v] +
                                      (__builtin_convertvector(bv, V8d) - mv[v]) * qv[v] + ov[v],
                                  V8f);
      std::memcpy(out + at + 8 * v, &t, sizeof t);
    }
  }
}

// s1[c] += sum (a[r, c] - k[c]), s2[c] += sum (a[r, c] - k[c]) * (b[r, c] - kb[c]) over rows
// [r0, r1), in double (vectorized across channels; the passes are bound by memory, not by
// arithmetic). With b = a and kb = k: sums of squares about k.
CNN_TARGET_CLONES void sums(const float* a, const float* b, const double* k, const double* kb,
                            int64_t r0, int64_t r1, int64_t channels, double* __restrict s1,
                            double* __restrict s2) {
  if (channels == 16) return sums_fixed<2>(a, b, k, kb, r0, r1, s1, s2);
  if (channels == 32) return sums_fixed<4>(a, b, k, kb, r0, r1, s1, s2);
  for (int64_t r = r0; r < r1; ++r) {
    const float* __restrict ar = a + r * channels;
    const float* __restrict br = b + r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      const double u = static_cast<double>(ar[c]) - k[c];
      s1[c] += u;
      s2[c] += u * (static_cast<double>(br[c]) - kb[c]);
    }
  }
}

// d[r, c] = y[r, c] <= 0 ? 0 : dy[r, c] (the ReLU's gradient, from its output) over rows
// [r0, r1), and s1[c] += d, s2[c] += d * (x[r, c] - m[c]): sums()'s arithmetic for a = d,
// k = 0, so the same bits as the unfused ReLU backward followed by sums().
CNN_TARGET_CLONES void gated_sums(const float* dy, const float* y, const float* x, const double* m,
                                  int64_t r0, int64_t r1, int64_t channels, float* d,
                                  double* __restrict s1, double* __restrict s2) {
  if (channels == 16) return gated_sums_fixed<2>(dy, y, x, m, r0, r1, d, s1, s2);
  if (channels == 32) return gated_sums_fixed<4>(dy, y, x, m, r0, r1, d, s1, s2);
  for (int64_t r = r0; r < r1; ++r) {
    const float* __restrict dyr = dy + r * channels;
    const float* __restrict yr = y + r * channels;
    const float* __restrict xr = x + r * channels;
    float* __restrict dr = d + r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      // y <= 0 ? 0 : dy as a bit mask: GCC does not if-convert (vectorize) the select here
      const uint32_t keep = yr[c] <= 0.0f ? 0u : ~0u;
      const float g = std::bit_cast<float>(std::bit_cast<uint32_t>(dyr[c]) & keep);
      dr[c] = g;
      const double u = static_cast<double>(g);
      s1[c] += u;
      s2[c] += u * (static_cast<double>(xr[c]) - m[c]);
    }
  }
}

// y[r, c] = (x[r, c] - m[c]) * q[c] + o[c] in double, rounded to float; then, with relu,
// max(that + residual[r, c], 0) in float (residual may be null). The one formula of the
// forward pass, fused or not, so both give the same bits.
CNN_TARGET_CLONES void normalize(const float* x, const float* residual, const double* m,
                                 const double* q, const double* o, bool relu, int64_t r0,
                                 int64_t r1, int64_t channels, float* y) {
  if (channels == 16) return normalize_fixed<2>(x, residual, m, q, o, relu, r0, r1, y);
  if (channels == 32) return normalize_fixed<4>(x, residual, m, q, o, relu, r0, r1, y);
  for (int64_t r = r0; r < r1; ++r) {
    const float* __restrict xr = x + r * channels;
    float* __restrict yr = y + r * channels;
    if (!relu) {
      for (int64_t c = 0; c < channels; ++c)
        yr[c] = static_cast<float>((static_cast<double>(xr[c]) - m[c]) * q[c] + o[c]);
    } else if (residual == nullptr) {
      for (int64_t c = 0; c < channels; ++c)
        yr[c] =
            std::max(static_cast<float>((static_cast<double>(xr[c]) - m[c]) * q[c] + o[c]), 0.0f);
    } else {
      const float* __restrict rr = residual + r * channels;
      for (int64_t c = 0; c < channels; ++c)
        yr[c] = std::max(
            rr[c] + static_cast<float>((static_cast<double>(xr[c]) - m[c]) * q[c] + o[c]), 0.0f);
    }
  }
}

// out[r, c] = a[r, c] * p[c] + (b[r, c] - m[c]) * q[c] + o[c], in double
CNN_TARGET_CLONES void affine(const float* a, const float* b, const double* m, const double* p,
                              const double* q, const double* o, int64_t r0, int64_t r1,
                              int64_t channels, float* out) {
  if (channels == 16) return affine_fixed<2>(a, b, m, p, q, o, r0, r1, out);
  if (channels == 32) return affine_fixed<4>(a, b, m, p, q, o, r0, r1, out);
  for (int64_t r = r0; r < r1; ++r) {
    const float* __restrict ar = a + r * channels;
    const float* __restrict br = b + r * channels;
    float* __restrict yr = out + r * channels;
    for (int64_t c = 0; c < channels; ++c)
      yr[c] = static_cast<float>(static_cast<double>(ar[c]) * p[c] +
                                 (static_cast<double>(br[c]) - m[c]) * q[c] + o[c]);
  }
}

// Sums over all rows, in blocks of kSumBlock rows whatever the thread count, added in block
// order: the same bits for any number of threads. block_sum(r0, r1, s1, s2) adds rows [r0, r1).
template <class BlockSum>
void block_sums(int64_t rows, int64_t channels, double* s1, double* s2, const BlockSum& block_sum) {
  const int64_t blocks = (rows + kSumBlock - 1) / kSumBlock;
  std::vector<double> partial(static_cast<size_t>(2 * blocks * channels), 0.0);
  double* p = partial.data();
  parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk)
      block_sum(blk * kSumBlock, std::min(rows, (blk + 1) * kSumBlock), p + 2 * blk * channels,
                p + (2 * blk + 1) * channels);
  });
  std::fill_n(s1, channels, 0.0);
  std::fill_n(s2, channels, 0.0);
  for (int64_t blk = 0; blk < blocks; ++blk)
    for (int64_t c = 0; c < channels; ++c) {
      s1[c] += p[2 * blk * channels + c];
      s2[c] += p[(2 * blk + 1) * channels + c];
    }
}

void block_sums(const float* a, const float* b, const double* k, const double* kb, int64_t rows,
                int64_t channels, double* s1, double* s2) {
  block_sums(rows, channels, s1, s2, [&](int64_t r0, int64_t r1, double* t1, double* t2) {
    sums(a, b, k, kb, r0, r1, channels, t1, t2);
  });
}

// Rows per task of the passes without sums: about 4096 values.
int64_t pass_grain(int64_t channels) {
  return std::max<int64_t>(1, 4096 / std::max<int64_t>(channels, 1));
}

void parallel_affine(const float* a, const float* b, const double* m, const double* p,
                     const double* q, const double* o, int64_t rows, int64_t channels, float* out) {
  parallel_for(rows, pass_grain(channels),
               [&](int64_t r0, int64_t r1) { affine(a, b, m, p, q, o, r0, r1, channels, out); });
}

}  // namespace

void batch_norm_stats(const float* x, int64_t rows, int64_t channels, double* mean, double* var) {
  if (rows == 0) {
    std::fill_n(mean, channels, 0.0);
    std::fill_n(var, channels, 0.0);
    return;
  }
  const std::vector<double> shift(x, x + channels);  // the first row
  std::vector<double> s1(static_cast<size_t>(channels)), s2(static_cast<size_t>(channels));
  block_sums(x, x, shift.data(), shift.data(), rows, channels, s1.data(), s2.data());
  const double n = static_cast<double>(rows);
  for (int64_t c = 0; c < channels; ++c) {
    const double d = s1[c] / n;  // mean - shift
    mean[c] = d + shift[c];
    var[c] = std::max(0.0, s2[c] / n - d * d);
  }
}

namespace {

// y = (x - mean) * scale + beta, scale = inv_std * gamma; with relu: max(y + residual, 0).
void forward(const float* x, const float* residual, bool relu, int64_t rows, int64_t channels,
             const float* mean, const float* inv_std, const float* gamma, const float* beta,
             float* y) {
  std::vector<double> m(static_cast<size_t>(channels)), scale(m.size()), offset(m.size());
  for (int64_t c = 0; c < channels; ++c) {
    m[c] = mean[c];
    scale[c] = static_cast<double>(inv_std[c]) * (gamma != nullptr ? gamma[c] : 1.0f);
    offset[c] = beta != nullptr ? beta[c] : 0.0f;
  }
  parallel_for(rows, pass_grain(channels), [&](int64_t r0, int64_t r1) {
    normalize(x, residual, m.data(), scale.data(), offset.data(), relu, r0, r1, channels, y);
  });
}

// The batch norm's backward for the gradient dy, or, with y, for the ReLU's gradient
// d = y <= 0 ? 0 : dy, which is written to d (rows x channels) by the sums' pass.
void backward(const float* dy, const float* y, float* d, const float* x, int64_t rows,
              int64_t channels, const float* mean, const float* inv_std, const float* gamma,
              bool training, float* dx, float* dgamma, float* dbeta) {
  const size_t cs = static_cast<size_t>(channels);
  std::vector<double> zero(cs, 0.0), m(mean, mean + channels);
  std::vector<double> sum_dy(cs, 0.0), sum_dy_xc(cs, 0.0);  // sum dy, sum dy * (x - mean)
  if (y != nullptr) {
    block_sums(rows, channels, sum_dy.data(), sum_dy_xc.data(),
               [&](int64_t r0, int64_t r1, double* s1, double* s2) {
                 gated_sums(dy, y, x, m.data(), r0, r1, channels, d, s1, s2);
               });
    dy = d;
  } else if (dgamma != nullptr || dbeta != nullptr || (training && dx != nullptr)) {
    block_sums(dy, x, zero.data(), m.data(), rows, channels, sum_dy.data(), sum_dy_xc.data());
  }
  std::vector<double> p(cs), q(cs, 0.0), o(cs, 0.0);
  const double n = static_cast<double>(rows);
  for (int64_t c = 0; c < channels; ++c) {
    const double g = gamma != nullptr ? gamma[c] : 1.0;
    const double s = inv_std[c];
    const double dg = sum_dy_xc[c] * s;  // sum dy * xhat
    if (dgamma != nullptr) dgamma[c] = static_cast<float>(dg);
    if (dbeta != nullptr) dbeta[c] = static_cast<float>(sum_dy[c]);
    p[c] = g * s;
    if (training) {
      // dx = g s / n (n dy - dbeta - xhat dg) = g s dy - g s^2 dg / n (x - mean) - g s dbeta / n
      q[c] = -g * s * s * dg / n;
      o[c] = -g * s * sum_dy[c] / n;
    }
  }
  if (dx == nullptr) return;
  parallel_affine(dy, x, m.data(), p.data(), q.data(), o.data(), rows, channels, dx);
}

}  // namespace

void batch_norm_forward(const float* x, int64_t rows, int64_t channels, const float* mean,
                        const float* inv_std, const float* gamma, const float* beta, float* y) {
  forward(x, nullptr, false, rows, channels, mean, inv_std, gamma, beta, y);
}

void batch_norm_backward(const float* dy, const float* x, int64_t rows, int64_t channels,
                         const float* mean, const float* inv_std, const float* gamma, bool training,
                         float* dx, float* dgamma, float* dbeta) {
  backward(dy, nullptr, nullptr, x, rows, channels, mean, inv_std, gamma, training, dx, dgamma,
           dbeta);
}

void batch_norm_relu_forward(const float* x, const float* residual, int64_t rows, int64_t channels,
                             const float* mean, const float* inv_std, const float* gamma,
                             const float* beta, float* y) {
  forward(x, residual, true, rows, channels, mean, inv_std, gamma, beta, y);
}

void batch_norm_relu_backward(const float* dy, const float* x, const float* y, int64_t rows,
                              int64_t channels, const float* mean, const float* inv_std,
                              const float* gamma, bool training, float* dx, float* dgamma,
                              float* dbeta, float* dresidual) {
  backward(dy, y, dresidual, x, rows, channels, mean, inv_std, gamma, training, dx, dgamma, dbeta);
}

}  // namespace cnn::kernels::cpu
