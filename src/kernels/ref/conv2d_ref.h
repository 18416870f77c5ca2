// Convolution geometry shared by every conv2d kernel, and the reference kernels: the
// lecture's formula as direct loops, accumulated in double, written to be obviously right.
// They are the oracle for the fast kernels (kernels/cpu/conv2d_*).
//
// Layouts: x [N, H, W, C] (NHWC, the lecture's L[b, x, y, i]), weight [KH, KW, C/G, O]
// (HWIO, the lecture's W[dx, dy, i, j]), y [N, OH, OW, O]. With G groups, input channel
// g*CG + i (CG = C/G) feeds output channel g*OG + j (OG = O/G) through W[ky, kx, i, g*OG + j].
#pragma once

#include <cstdint>

#include "cnn/shape.h"

namespace cnn::kernels {

struct Conv2dGeometry {
  int64_t batch = 0, in_h = 0, in_w = 0, in_c = 0;  // x [batch, in_h, in_w, in_c]
  int64_t kernel_h = 0, kernel_w = 0, out_c = 0;    // weight [kernel_h, kernel_w, CG, out_c]
  int64_t groups = 1;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;  // bottom/right padding only enters out_h/out_w
  int64_t out_h = 0, out_w = 0;       // y [batch, out_h, out_w, out_c]

  int64_t group_in() const { return in_c / groups; }    // CG
  int64_t group_out() const { return out_c / groups; }  // OG
  // Row of padded input that output row oy reads at kernel row ky: s*oy + d*ky - pad_top.
  int64_t in_row(int64_t oy, int64_t ky) const { return oy * stride_h + ky * dilation_h - pad_top; }
  int64_t in_col(int64_t ox, int64_t kx) const {
    return ox * stride_w + kx * dilation_w - pad_left;
  }
};

// The geometry of x [N, H, W, C] convolved with weight [KH, KW, C/groups, O]:
// OH = (H + top + bottom - dilation_h * (KH - 1) - 1) / stride_h + 1, likewise OW.
// Does not validate (the op does); a non-positive OH or OW means no valid output.
Conv2dGeometry make_conv2d_geometry(const Shape& x_shape, const Shape& w_shape, int64_t groups,
                                    Size2 stride, const Pad2d& padding, Size2 dilation);

namespace ref {

// y[b, oy, ox, g*OG + j] = bias[g*OG + j]
//     + sum_{ky, kx, i} W[ky, kx, i, g*OG + j] * Padd(x)[b, s*oy + d*ky, s*ox + d*kx, g*CG + i]
// bias may be null (no bias).
void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                    float* y);

// dL/dx[b, iy, ix, g*CG + i] = sum over (ky, kx, j) and the output (oy, ox) that reads
// (iy, ix) at that tap, i.e. s*oy + d*ky - pad_top = iy and s*ox + d*kx - pad_left = ix, of
//     W[ky, kx, i, g*OG + j] * dL/dy[b, oy, ox, g*OG + j].
void conv2d_backward_data(const Conv2dGeometry& g, const float* grad_y, const float* w,
                          float* grad_x);

// dL/dW[ky, kx, i, g*OG + j] = sum_{b, oy, ox} dL/dy[b, oy, ox, g*OG + j]
//                                              * Padd(x)[b, s*oy + d*ky, s*ox + d*kx, g*CG + i]
void conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* grad_y,
                            float* grad_w);

}  // namespace ref
}  // namespace cnn::kernels
