#include "kernels/ref/shape_ref.h"

#include <algorithm>

namespace cnn::kernels::ref {

void concat_runs(const std::vector<const float*>& parts, const std::vector<int64_t>& extents,
                 int64_t outer, int64_t inner, float* out) {
  int64_t total = 0;
  for (int64_t e : extents) total += e;
  const int64_t out_row = total * inner;
  int64_t at = 0;  // offset_i * inner: where part i's run starts inside an output row
  for (size_t i = 0; i < parts.size(); ++i) {
    const int64_t run = extents[i] * inner;
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(parts[i] + o * run, run, out + o * out_row + at);
    at += run;
  }
}

void split_runs(const float* x, const std::vector<int64_t>& extents, int64_t outer, int64_t inner,
                const std::vector<float*>& parts) {
  int64_t total = 0;
  for (int64_t e : extents) total += e;
  const int64_t x_row = total * inner;
  int64_t at = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const int64_t run = extents[i] * inner;
    if (parts[i] != nullptr)
      for (int64_t o = 0; o < outer; ++o) std::copy_n(x + o * x_row + at, run, parts[i] + o * run);
    at += run;
  }
}

void channel_shuffle(const float* x, int64_t pixels, int64_t groups, int64_t per_group,
                     float* out) {
  const int64_t c = groups * per_group;
  for (int64_t p = 0; p < pixels; ++p) {
    const float* src = x + p * c;
    float* dst = out + p * c;
    // Writes run contiguously through dst; reads stride by per_group through one pixel.
    for (int64_t j = 0; j < per_group; ++j)
      for (int64_t g = 0; g < groups; ++g) dst[j * groups + g] = src[g * per_group + j];
  }
}

void pad2d(const float* x, int64_t n, int64_t h, int64_t w, int64_t c, int64_t top, int64_t bottom,
           int64_t left, int64_t right, float value, float* out) {
  const int64_t ho = h + top + bottom, wo = w + left + right;
  // Output columns [lo, hi) come from input columns [lo - left, hi - left); the rest is fill.
  const int64_t lo = std::clamp<int64_t>(left, 0, wo);
  const int64_t hi = std::clamp<int64_t>(w + left, lo, wo);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t oy = 0; oy < ho; ++oy) {
      float* row = out + (b * ho + oy) * wo * c;
      const int64_t iy = oy - top;
      if (iy < 0 || iy >= h) {
        std::fill_n(row, wo * c, value);
        continue;
      }
      const float* src = x + ((b * h + iy) * w + (lo - left)) * c;
      std::fill_n(row, lo * c, value);
      std::copy_n(src, (hi - lo) * c, row + lo * c);
      std::fill_n(row + hi * c, (wo - hi) * c, value);
    }
  }
}

std::vector<int64_t> pad_source_indices(int64_t extent, int64_t before, int64_t after,
                                        bool reflect) {
  std::vector<int64_t> source(static_cast<size_t>(extent + before + after));
  for (int64_t o = 0; o < static_cast<int64_t>(source.size()); ++o) {
    const int64_t i = o - before;
    if (reflect)
      source[static_cast<size_t>(o)] = i < 0 ? -i : i >= extent ? 2 * (extent - 1) - i : i;
    else
      source[static_cast<size_t>(o)] = std::clamp<int64_t>(i, 0, extent - 1);
  }
  return source;
}

void pad2d_gather(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                  const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, float* out) {
  for (int64_t b = 0; b < n; ++b)
    for (const int64_t iy : rows) {
      const float* src = x + (b * h + iy) * w * c;
      for (const int64_t ix : cols) {
        std::copy_n(src + ix * c, c, out);
        out += c;
      }
    }
}

void pad2d_gather_backward(const float* grad_out, int64_t n, int64_t h, int64_t w, int64_t c,
                           const std::vector<int64_t>& rows, const std::vector<int64_t>& cols,
                           float* grad_x) {
  std::fill_n(grad_x, n * h * w * c, 0.0f);
  for (int64_t b = 0; b < n; ++b)
    for (const int64_t iy : rows) {
      float* dst = grad_x + (b * h + iy) * w * c;
      for (const int64_t ix : cols) {
        float* d = dst + ix * c;
        for (int64_t k = 0; k < c; ++k) d[k] += grad_out[k];
        grad_out += c;
      }
    }
}

void shortcut_identity_forward(const float* x, int64_t n, int64_t h, int64_t w, int64_t c,
                               int64_t stride, int64_t out_c, float* out) {
  const int64_t ho = (h + stride - 1) / stride, wo = (w + stride - 1) / stride;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < ho; ++y)
      for (int64_t xo = 0; xo < wo; ++xo) {
        const float* src = x + ((b * h + stride * y) * w + stride * xo) * c;
        float* dst = out + ((b * ho + y) * wo + xo) * out_c;
        std::copy_n(src, c, dst);
        std::fill_n(dst + c, out_c - c, 0.0f);
      }
}

void shortcut_identity_backward(const float* g, int64_t n, int64_t h, int64_t w, int64_t c,
                                int64_t stride, int64_t out_c, float* dx) {
  const int64_t ho = (h + stride - 1) / stride, wo = (w + stride - 1) / stride;
  std::fill_n(dx, n * h * w * c, 0.0f);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < ho; ++y)
      for (int64_t xo = 0; xo < wo; ++xo) {
        const float* src = g + ((b * ho + y) * wo + xo) * out_c;  // channels >= C get no gradient
        std::copy_n(src, c, dx + ((b * h + stride * y) * w + stride * xo) * c);
      }
}

}  // namespace cnn::kernels::ref
