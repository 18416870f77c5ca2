// The reference conv2d kernels: the lecture's formula as direct loops, accumulated in double,
// written to be obviously right. They are the oracle for the fast kernels
// (kernels/cpu/conv2d_*) and the last resort of kernels/conv2d.h's dispatch. Layouts and
// geometry: kernels/conv2d_types.h.
#pragma once

#include <cstdint>

#include "kernels/conv2d_types.h"

namespace cnn::kernels {

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
