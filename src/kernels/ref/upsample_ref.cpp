#include "kernels/ref/upsample_ref.h"

#include <algorithm>
#include <cmath>

#include "cnn/parallel.h"
#include "kernels/ref/per_image.h"

namespace cnn::kernels::ref {
namespace {

// Rows per parallel_for chunk: enough inner-loop steps (about 16k) to pay for waking a thread.
int64_t row_grain(int64_t steps_per_row) {
  return std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, steps_per_row));
}

}  // namespace

std::vector<int64_t> nearest_source_index(int64_t in, int64_t out) {
  // PyTorch: compute_scales_value (float(in) / out), nearest_neighbor_compute_source_index.
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  std::vector<int64_t> src(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o)
    src[static_cast<size_t>(o)] =
        std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * scale)), in - 1);
  return src;
}

LinearTaps linear_taps(int64_t in, int64_t out, bool align_corners) {
  // PyTorch: area_pixel_compute_scale, area_pixel_compute_source_index and
  // compute_source_index_and_lambda, with float32 as the scale type. The pixel-centre
  // position is formed in double (dst + 0.5 is a double there) and rounded to float.
  const float scale =
      align_corners ? (out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f)
                    : static_cast<float>(in) / static_cast<float>(out);
  LinearTaps t;
  const auto n = static_cast<size_t>(out);
  t.index0.resize(n), t.index1.resize(n), t.lambda0.resize(n), t.lambda1.resize(n);
  for (int64_t o = 0; o < out; ++o) {
    const auto k = static_cast<size_t>(o);
    if (in == out) {  // PyTorch copies without forming positions
      t.index0[k] = t.index1[k] = o;
      t.lambda0[k] = 1.0f, t.lambda1[k] = 0.0f;
      continue;
    }
    const float position =
        align_corners
            ? scale * static_cast<float>(o)
            : std::max(static_cast<float>(
                           static_cast<double>(scale) * (static_cast<double>(o) + 0.5) - 0.5),
                       0.0f);
    const auto i0 = static_cast<int64_t>(position);  // floor: position >= 0
    t.index0[k] = i0;
    t.index1[k] = i0 < in - 1 ? i0 + 1 : i0;
    t.lambda1[k] = std::clamp(position - static_cast<float>(i0), 0.0f, 1.0f);
    t.lambda0[k] = 1.0f - t.lambda1[k];
  }
  return t;
}

// ---- nearest ----

void upsample_nearest2d_forward(const ResizeGeometry& g, const float* x, float* y) {
  const int64_t C = g.channels;
  const std::vector<int64_t> src_h = nearest_source_index(g.in_h, g.out_h);
  const std::vector<int64_t> src_w = nearest_source_index(g.in_w, g.out_w);
  parallel_for(g.batch * g.out_h, row_grain(g.out_w * C), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // row = n * out_h + oh
      const int64_t n = row / g.out_h, oh = row % g.out_h;
      const float* in_row = x + (n * g.in_h + src_h[static_cast<size_t>(oh)]) * g.in_w * C;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const float* in = in_row + src_w[static_cast<size_t>(ow)] * C;
        std::copy(in, in + C, y + (row * g.out_w + ow) * C);
      }
    }
  });
}

void upsample_nearest2d_backward(const ResizeGeometry& g, const float* dy, float* dx) {
  const int64_t C = g.channels;
  const std::vector<int64_t> src_h = nearest_source_index(g.in_h, g.out_h);
  const std::vector<int64_t> src_w = nearest_source_index(g.in_w, g.out_w);
  scatter_per_image(g.batch, g.in_h * g.in_w * g.channels, g.out_h * g.out_w * g.channels, dy, dx,
                    [&](int64_t, float* dx_image, const float* dy_image) {
                      for (int64_t oh = 0; oh < g.out_h; ++oh) {
                        float* dx_row = dx_image + src_h[static_cast<size_t>(oh)] * g.in_w * C;
                        for (int64_t ow = 0; ow < g.out_w; ++ow) {
                          const float* d = dy_image + (oh * g.out_w + ow) * C;
                          float* out = dx_row + src_w[static_cast<size_t>(ow)] * C;
                          for (int64_t c = 0; c < C; ++c) out[c] += d[c];
                        }
                      }
                    });
}

// ---- bilinear ----

void upsample_bilinear2d_forward(const ResizeGeometry& g, bool align_corners, const float* x,
                                 float* y) {
  const int64_t C = g.channels;
  const LinearTaps th = linear_taps(g.in_h, g.out_h, align_corners);
  const LinearTaps tw = linear_taps(g.in_w, g.out_w, align_corners);
  parallel_for(g.batch * g.out_h, row_grain(4 * g.out_w * C), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / g.out_h;
      const auto oh = static_cast<size_t>(row % g.out_h);
      const float* image = x + n * g.in_h * g.in_w * C;
      const float* row0 = image + th.index0[oh] * g.in_w * C;
      const float* row1 = image + th.index1[oh] * g.in_w * C;
      const float lh0 = th.lambda0[oh], lh1 = th.lambda1[oh];
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const auto k = static_cast<size_t>(ow);
        const float *x00 = row0 + tw.index0[k] * C, *x01 = row0 + tw.index1[k] * C;
        const float *x10 = row1 + tw.index0[k] * C, *x11 = row1 + tw.index1[k] * C;
        const float lw0 = tw.lambda0[k], lw1 = tw.lambda1[k];
        float* out = y + (row * g.out_w + ow) * C;
        for (int64_t c = 0; c < C; ++c)
          out[c] = lh0 * (lw0 * x00[c] + lw1 * x01[c]) + lh1 * (lw0 * x10[c] + lw1 * x11[c]);
      }
    }
  });
}

void upsample_bilinear2d_backward(const ResizeGeometry& g, bool align_corners, const float* dy,
                                  float* dx) {
  const int64_t C = g.channels;
  const LinearTaps th = linear_taps(g.in_h, g.out_h, align_corners);
  const LinearTaps tw = linear_taps(g.in_w, g.out_w, align_corners);
  scatter_per_image(g.batch, g.in_h * g.in_w * g.channels, g.out_h * g.out_w * g.channels, dy, dx,
                    [&](int64_t, float* dx_image, const float* dy_image) {
                      for (int64_t oh = 0; oh < g.out_h; ++oh) {
                        const auto kh = static_cast<size_t>(oh);
                        const int64_t h[2] = {th.index0[kh], th.index1[kh]};
                        const float lh[2] = {th.lambda0[kh], th.lambda1[kh]};
                        for (int64_t ow = 0; ow < g.out_w; ++ow) {
                          const auto kw = static_cast<size_t>(ow);
                          const int64_t w[2] = {tw.index0[kw], tw.index1[kw]};
                          const float lw[2] = {tw.lambda0[kw], tw.lambda1[kw]};
                          const float* d = dy_image + (oh * g.out_w + ow) * C;
                          for (int i = 0; i < 2; ++i)
                            for (int j = 0; j < 2; ++j) {  // dx[h_i, w_j] += (lh_i * lw_j) * dy
                              const float weight = lh[i] * lw[j];
                              float* out = dx_image + (h[i] * g.in_w + w[j]) * C;
                              for (int64_t c = 0; c < C; ++c) out[c] += weight * d[c];
                            }
                        }
                      }
                    });
}

}  // namespace cnn::kernels::ref
