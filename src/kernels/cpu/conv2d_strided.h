// The backward data of a strided convolution as stride_h x stride_w stride-1 convolutions
// ("phases"), so that it runs on the fast forward kernels instead of a GEMM and a scatter-add.
//
// Along one axis (stride s, kernel K, padding p, dilation 1), input row i = s*m + r receives
// dy[oy] * W[k] from the taps k with i + p - k = s*oy, that is k = k0 + s*t with
// k0 = (r + p) mod s, t < T = ceil((K - k0) / s), oy = m + q - t, q = (r + p - k0) / s. With
// t' = T - 1 - t this is a stride-1 correlation of dy:
//     dx[s*m + r] = sum_t' W'[t'] dy[m + t' - p'],   W'[t'] = W[k0 + s*(T - 1 - t')],
//     p' = T - 1 - q
// (dy read as zero outside its rows, which the forward kernels do for any padding). In 2-D
// each phase (r_y, r_x) is one forward convolution of dy [N, OH, OW, O] by the sub-kernel W'
// [T_y, T_x, O, C] into [N, ceil((H - r_y) / s_h), ceil((W - r_x) / s_w), C], whose pixels are
// then placed at rows r_y, r_y + s_h, ... and columns r_x, r_x + s_w, ... of dx. A phase with no
// taps (a kernel smaller than the stride) leaves its pixels of dx zero.
#pragma once

#include "kernels/conv2d_types.h"

namespace cnn::kernels::cpu {

// Where the phases are used: groups 1, dilation 1, a stride above 1 on some axis, and where
// they win (measured; see the .cpp).
bool conv2d_backward_data_phases_apply(const Conv2dGeometry& g);

// grad_x [N, H, W, C] (overwritten) from grad_y [N, OH, OW, O]: correct for any geometry with
// groups 1, dilation 1 and padding >= 0, whether or not the phases apply.
void conv2d_backward_data_phases(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                 float* grad_x);

}  // namespace cnn::kernels::cpu
