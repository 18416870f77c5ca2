#include "kernels/ref/conv2d_ref.h"

namespace cnn::kernels {

namespace ref {
namespace {

// Padd(x)[b, row, col, c]: zero outside the image.
float padded(const Conv2dGeometry& g, const float* x, int64_t b, int64_t row, int64_t col,
             int64_t c) {
  if (row < 0 || row >= g.in_h || col < 0 || col >= g.in_w) return 0.0f;
  return x[((b * g.in_h + row) * g.in_w + col) * g.in_c + c];
}

}  // namespace

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                    float* y) {
  const int64_t cg = g.group_in(), og = g.group_out();
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t oy = 0; oy < g.out_h; ++oy)
      for (int64_t ox = 0; ox < g.out_w; ++ox)
        for (int64_t o = 0; o < g.out_c; ++o) {
          const int64_t group = o / og;
          double sum = bias != nullptr ? bias[o] : 0.0;
          for (int64_t ky = 0; ky < g.kernel_h; ++ky)
            for (int64_t kx = 0; kx < g.kernel_w; ++kx)
              for (int64_t i = 0; i < cg; ++i)
                sum += static_cast<double>(w[((ky * g.kernel_w + kx) * cg + i) * g.out_c + o]) *
                       padded(g, x, b, g.in_row(oy, ky), g.in_col(ox, kx), group * cg + i);
          y[((b * g.out_h + oy) * g.out_w + ox) * g.out_c + o] = static_cast<float>(sum);
        }
}

void conv2d_backward_data(const Conv2dGeometry& g, const float* grad_y, const float* w,
                          float* grad_x) {
  const int64_t cg = g.group_in(), og = g.group_out();
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t iy = 0; iy < g.in_h; ++iy)
      for (int64_t ix = 0; ix < g.in_w; ++ix)
        for (int64_t c = 0; c < g.in_c; ++c) {
          const int64_t group = c / cg, i = c % cg;
          double sum = 0.0;
          for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
            // Solve s*oy + d*ky - pad_top = iy for an integer oy inside the output.
            const int64_t ny = iy + g.pad_top - ky * g.dilation_h;
            if (ny < 0 || ny % g.stride_h != 0 || ny / g.stride_h >= g.out_h) continue;
            const int64_t oy = ny / g.stride_h;
            for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
              const int64_t nx = ix + g.pad_left - kx * g.dilation_w;
              if (nx < 0 || nx % g.stride_w != 0 || nx / g.stride_w >= g.out_w) continue;
              const int64_t ox = nx / g.stride_w;
              for (int64_t j = 0; j < og; ++j) {
                const int64_t o = group * og + j;
                sum += static_cast<double>(w[((ky * g.kernel_w + kx) * cg + i) * g.out_c + o]) *
                       grad_y[((b * g.out_h + oy) * g.out_w + ox) * g.out_c + o];
              }
            }
          }
          grad_x[((b * g.in_h + iy) * g.in_w + ix) * g.in_c + c] = static_cast<float>(sum);
        }
}

void conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* grad_y,
                            float* grad_w) {
  const int64_t cg = g.group_in(), og = g.group_out();
  for (int64_t ky = 0; ky < g.kernel_h; ++ky)
    for (int64_t kx = 0; kx < g.kernel_w; ++kx)
      for (int64_t i = 0; i < cg; ++i)
        for (int64_t o = 0; o < g.out_c; ++o) {
          const int64_t c = (o / og) * cg + i;
          double sum = 0.0;
          for (int64_t b = 0; b < g.batch; ++b)
            for (int64_t oy = 0; oy < g.out_h; ++oy)
              for (int64_t ox = 0; ox < g.out_w; ++ox)
                sum +=
                    static_cast<double>(grad_y[((b * g.out_h + oy) * g.out_w + ox) * g.out_c + o]) *
                    padded(g, x, b, g.in_row(oy, ky), g.in_col(ox, kx), c);
          grad_w[((ky * g.kernel_w + kx) * cg + i) * g.out_c + o] = static_cast<float>(sum);
        }
}

}  // namespace ref
}  // namespace cnn::kernels
