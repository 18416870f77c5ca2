#include "kernels/conv2d_types.h"

#include <algorithm>

namespace cnn::kernels {

Conv2dGeometry make_conv2d_geometry(const Shape& x_shape, const Shape& w_shape, int64_t groups,
                                    Size2 stride, const Pad2d& padding, Size2 dilation) {
  Conv2dGeometry g;
  g.batch = x_shape[0];
  g.in_h = x_shape[1];
  g.in_w = x_shape[2];
  g.in_c = x_shape[3];
  g.kernel_h = w_shape[0];
  g.kernel_w = w_shape[1];
  g.out_c = w_shape[3];
  g.groups = groups;
  g.stride_h = stride.h;
  g.stride_w = stride.w;
  g.dilation_h = dilation.h;
  g.dilation_w = dilation.w;
  g.pad_top = padding.top;
  g.pad_left = padding.left;
  // Integer division truncates toward zero; a padded extent shorter than the dilated kernel
  // must give a non-positive size, so test the numerator's sign first.
  const int64_t span_h = g.in_h + padding.top + padding.bottom - dilation.h * (g.kernel_h - 1) - 1;
  const int64_t span_w = g.in_w + padding.left + padding.right - dilation.w * (g.kernel_w - 1) - 1;
  g.out_h = span_h < 0 ? 0 : span_h / stride.h + 1;
  g.out_w = span_w < 0 ? 0 : span_w / stride.w + 1;
  return g;
}

bool conv2d_is_pointwise(const Conv2dGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_top == 0 && g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

Conv2dGeometry conv2d_transposed_geometry(const Conv2dGeometry& g) {
  Conv2dGeometry t = g;
  t.in_h = g.out_h;
  t.in_w = g.out_w;
  t.in_c = g.out_c;
  t.out_c = g.in_c;
  t.out_h = g.in_h;
  t.out_w = g.in_w;
  t.pad_top = g.dilation_h * (g.kernel_h - 1) - g.pad_top;
  t.pad_left = g.dilation_w * (g.kernel_w - 1) - g.pad_left;
  return t;
}

void conv2d_flip_weight(const Conv2dGeometry& g, const float* w, float* out) {
  const int64_t cg = g.group_in(), og = g.group_out();
  constexpr int64_t kBlock = 16;  // transposed in blocks, so reads and writes stay in cache
  for (int64_t ky = 0; ky < g.kernel_h; ++ky)
    for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
      const float* src =
          w + ((g.kernel_h - 1 - ky) * g.kernel_w + (g.kernel_w - 1 - kx)) * cg * g.out_c;
      float* dst = out + (ky * g.kernel_w + kx) * og * g.in_c;
      for (int64_t grp = 0; grp < g.groups; ++grp)
        for (int64_t i0 = 0; i0 < cg; i0 += kBlock)
          for (int64_t j0 = 0; j0 < og; j0 += kBlock)
            for (int64_t j = j0; j < std::min(og, j0 + kBlock); ++j)
              for (int64_t i = i0; i < std::min(cg, i0 + kBlock); ++i)
                dst[j * g.in_c + grp * cg + i] = src[i * g.out_c + grp * og + j];
    }
}

}  // namespace cnn::kernels
