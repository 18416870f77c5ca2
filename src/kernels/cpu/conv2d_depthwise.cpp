#include "kernels/cpu/conv2d_depthwise.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/cpu/conv2d_algorithms.h"
#include "kernels/cpu/target_clones.h"

namespace cnn::kernels::cpu {
namespace {

// acc[c*K + k] += w[c*K + k] * v[c] for c < C, k < K; K == 1 is the common case and the
// loop the compiler vectorizes.
inline void multiply_add_expand(int64_t channels, int64_t multiplier, const float* w,
                                const float* v, float* acc) {
  if (multiplier == 1) {
    for (int64_t c = 0; c < channels; ++c) acc[c] += w[c] * v[c];
    return;
  }
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t k = 0; k < multiplier; ++k)
      acc[c * multiplier + k] += w[c * multiplier + k] * v[c];
}

// acc[c] += sum_k w[c*K + k] * v[c*K + k]: the adjoint of multiply_add_expand in v.
inline void multiply_add_reduce(int64_t channels, int64_t multiplier, const float* w,
                                const float* v, float* acc) {
  if (multiplier == 1) {
    for (int64_t c = 0; c < channels; ++c) acc[c] += w[c] * v[c];
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    float s = 0.0f;
    for (int64_t k = 0; k < multiplier; ++k) s += w[c * multiplier + k] * v[c * multiplier + k];
    acc[c] += s;
  }
}

// y[b, oy, ox, :] = bias + the taps, one pixel at a time, accumulated in y itself.
inline void forward_pixel(const Conv2dGeometry& g, const float* x, const float* w,
                          const float* bias, float* y, int64_t b, int64_t oy, int64_t ox) {
  const int64_t mult = g.group_out();
  float* out = y + ((b * g.out_h + oy) * g.out_w + ox) * g.out_c;
  if (bias != nullptr) {
    std::copy_n(bias, g.out_c, out);
  } else {
    std::fill_n(out, g.out_c, 0.0f);
  }
  for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
    const int64_t iy = g.in_row(oy, ky);
    if (iy < 0 || iy >= g.in_h) continue;
    for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
      const int64_t ix = g.in_col(ox, kx);
      if (ix < 0 || ix >= g.in_w) continue;
      multiply_add_expand(g.in_c, mult, w + (ky * g.kernel_w + kx) * g.out_c,
                          x + ((b * g.in_h + iy) * g.in_w + ix) * g.in_c, out);
    }
  }
}

constexpr int kLanes = 16;  // channels per vector (AVX-512)
constexpr int kPixels = 8;  // output pixels of a row whose sums stay in registers

// 16 floats as one value (GCC's vector extension: one zmm register in the AVX-512 clone, two ymm
// or four xmm in the others), moved in and out with memcpy (unaligned). An array of floats
// stayed on the stack; vectors stay in registers.
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

// kPixels pixels from ox, channels [c0, c0 + kLanes), every kx tap inside the image: the 8 x 16
// sums stay in registers across the taps (the pixel loop above reloads and stores its sums for
// every tap). Same terms in the same order as forward_pixel.
[[gnu::always_inline]] inline void forward_block(const Conv2dGeometry& g, const float* x,
                                                 const float* w, const float* bias, float* y,
                                                 int64_t b, int64_t oy, int64_t ox, int64_t c0) {
  Lanes start{};
  if (bias != nullptr) std::memcpy(&start, bias + c0, sizeof start);
  Lanes acc[kPixels];
#pragma GCC unroll 8
  for (int p = 0; p < kPixels; ++p) acc[p] = start;
  const int64_t pixel_step = g.stride_w * g.in_c;
  for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
    const int64_t iy = g.in_row(oy, ky);
    if (iy < 0 || iy >= g.in_h) continue;
    for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
      Lanes wv;
      std::memcpy(&wv, w + (ky * g.kernel_w + kx) * g.out_c + c0, sizeof wv);
      const float* xv = x + ((b * g.in_h + iy) * g.in_w + g.in_col(ox, kx)) * g.in_c + c0;
#pragma GCC unroll 8
      for (int p = 0; p < kPixels; ++p) {
        Lanes v;
        std::memcpy(&v, xv + p * pixel_step, sizeof v);
        acc[p] += wv * v;
      }
    }
  }
  float* out = y + ((b * g.out_h + oy) * g.out_w + ox) * g.out_c + c0;
#pragma GCC unroll 8
  for (int p = 0; p < kPixels; ++p) std::memcpy(out + p * g.out_c, &acc[p], sizeof acc[p]);
}

// The row loops (CNN_TARGET_CLONES: the channel loops of the helpers above vectorize for the
// CPU at hand). Output rows [row0, row1) (row = b * OH + oy) of the forward pass: with one
// output channel per input channel, the pixels whose taps all fall inside the image go
// through forward_block (whole 16-channel blocks; the channels past the last whole block are
// finished pixel by pixel), the others through forward_pixel.
CNN_TARGET_CLONES void forward_rows(const Conv2dGeometry& g, const float* x, const float* w,
                                    const float* bias, float* y, int64_t row0, int64_t row1) {
  // the interior [lo, hi): 0 <= s*ox - pad_left and s*ox + d*(KW-1) - pad_left < W
  const int64_t reach = g.dilation_w * (g.kernel_w - 1) - g.pad_left;
  const int64_t lo = std::min(g.out_w, (g.pad_left + g.stride_w - 1) / g.stride_w);
  const int64_t hi = g.in_w - 1 - reach < 0
                         ? lo
                         : std::max(lo, std::min(g.out_w, (g.in_w - 1 - reach) / g.stride_w + 1));
  const bool blocked = g.group_out() == 1 && g.out_c >= kLanes;
  const int64_t whole = g.out_c / kLanes * kLanes;
  for (int64_t row = row0; row < row1; ++row) {
    const int64_t b = row / g.out_h, oy = row % g.out_h;
    int64_t ox = 0;
    if (blocked) {
      for (; ox < lo; ++ox) forward_pixel(g, x, w, bias, y, b, oy, ox);
      for (; ox + kPixels <= hi; ox += kPixels) {
        for (int64_t c0 = 0; c0 < whole; c0 += kLanes)
          forward_block(g, x, w, bias, y, b, oy, ox, c0);
        if (whole == g.out_c) continue;
        // the channels past the last whole block, pixel by pixel
        const int64_t rest = g.out_c - whole;
        for (int64_t p = 0; p < kPixels; ++p) {
          float* out = y + ((b * g.out_h + oy) * g.out_w + ox + p) * g.out_c + whole;
          for (int64_t c = 0; c < rest; ++c) out[c] = bias != nullptr ? bias[whole + c] : 0.0f;
          for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
            const int64_t iy = g.in_row(oy, ky);
            if (iy < 0 || iy >= g.in_h) continue;
            for (int64_t kx = 0; kx < g.kernel_w; ++kx)
              multiply_add_expand(
                  rest, 1, w + (ky * g.kernel_w + kx) * g.out_c + whole,
                  x + ((b * g.in_h + iy) * g.in_w + g.in_col(ox + p, kx)) * g.in_c + whole, out);
          }
        }
      }
    }
    for (; ox < g.out_w; ++ox) forward_pixel(g, x, w, bias, y, b, oy, ox);
  }
}

// Input rows [row0, row1) (row = b * H + iy) of the backward data pass.
CNN_TARGET_CLONES void backward_data_rows(const Conv2dGeometry& g, const float* grad_y,
                                          const float* w, float* grad_x, int64_t row0,
                                          int64_t row1) {
  const int64_t mult = g.group_out();
  for (int64_t row = row0; row < row1; ++row) {
    const int64_t b = row / g.in_h, iy = row % g.in_h;
    for (int64_t ix = 0; ix < g.in_w; ++ix) {
      float* out = grad_x + (row * g.in_w + ix) * g.in_c;
      std::fill_n(out, g.in_c, 0.0f);
      for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
        // The output row oy with s*oy + d*ky - pad_top = iy, if there is one.
        const int64_t ny = iy + g.pad_top - ky * g.dilation_h;
        if (ny < 0 || ny % g.stride_h != 0 || ny / g.stride_h >= g.out_h) continue;
        const int64_t oy = ny / g.stride_h;
        for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t nx = ix + g.pad_left - kx * g.dilation_w;
          if (nx < 0 || nx % g.stride_w != 0 || nx / g.stride_w >= g.out_w) continue;
          const int64_t ox = nx / g.stride_w;
          multiply_add_reduce(g.in_c, mult, w + (ky * g.kernel_w + kx) * g.out_c,
                              grad_y + ((b * g.out_h + oy) * g.out_w + ox) * g.out_c, out);
        }
      }
    }
  }
}

// The weight gradient of output rows [row0, row1), added into acc.
CNN_TARGET_CLONES void backward_weight_rows(const Conv2dGeometry& g, const float* x,
                                            const float* grad_y, float* acc, int64_t row0,
                                            int64_t row1) {
  const int64_t mult = g.group_out();
  for (int64_t row = row0; row < row1; ++row) {
    const int64_t b = row / g.out_h, oy = row % g.out_h;
    for (int64_t ox = 0; ox < g.out_w; ++ox) {
      const float* dy = grad_y + (row * g.out_w + ox) * g.out_c;
      for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
        const int64_t iy = g.in_row(oy, ky);
        if (iy < 0 || iy >= g.in_h) continue;
        for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
          const int64_t ix = g.in_col(ox, kx);
          if (ix < 0 || ix >= g.in_w) continue;
          multiply_add_expand(g.in_c, mult, dy, x + ((b * g.in_h + iy) * g.in_w + ix) * g.in_c,
                              acc + (ky * g.kernel_w + kx) * g.out_c);
        }
      }
    }
  }
}

}  // namespace

bool conv2d_depthwise_applies(const Conv2dGeometry& g) {
  return g.groups > 1 && g.groups == g.in_c;
}

void conv2d_forward_depthwise(const Conv2dGeometry& g, const float* x, const float* w,
                              const float* bias, float* y, const Conv2dEpilogue& e) {
  // the bias waits for the scale, which applies before it
  const float* kernel_bias = e.scale != nullptr ? nullptr : bias;
  parallel_for(g.batch * g.out_h, 1, [&](int64_t row0, int64_t row1) {
    forward_rows(g, x, w, kernel_bias, y, row0, row1);
  });
  if (e.scale != nullptr || e.residual != nullptr || e.relu)
    conv2d_apply_epilogue(g, e.scale != nullptr ? bias : nullptr, y, e);
}

void conv2d_backward_data_depthwise(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                    float* grad_x) {
  parallel_for(g.batch * g.in_h, 1, [&](int64_t row0, int64_t row1) {
    backward_data_rows(g, grad_y, w, grad_x, row0, row1);
  });
}

void conv2d_backward_weight_depthwise(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                      float* grad_w) {
  const int64_t w_size = g.kernel_h * g.kernel_w * g.out_c;
  const int64_t rows = g.batch * g.out_h;
  std::fill_n(grad_w, w_size, 0.0f);
  if (rows == 0) return;
  const int64_t blocks = std::min<int64_t>(num_threads(), rows);
  std::vector<float> partial(static_cast<size_t>(blocks * w_size), 0.0f);
  parallel_for(blocks, 1, [&](int64_t blk0, int64_t blk1) {
    for (int64_t blk = blk0; blk < blk1; ++blk) {
      float* acc = partial.data() + blk * w_size;
      backward_weight_rows(g, x, grad_y, acc, blk * rows / blocks, (blk + 1) * rows / blocks);
    }
  });
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const float* acc = partial.data() + blk * w_size;
    for (int64_t i = 0; i < w_size; ++i) grad_w[i] += acc[i];
  }
}

}  // namespace cnn::kernels::cpu
