// Convolution as matrix multiplication, the lecture's L~[b, x, y, dx, dy, i]: the receptive
// fields of a chunk of output pixels are unfolded ("im2col") into the rows of a column matrix,
// and each group's convolution becomes one kernels::gemm_f32 call with the weight viewed as
// the matrix W_g [KH*KW*CG, OG]:
//   forward          Y_g[m, :] = col_g[m, :] * W_g
//   backward data    dcol_g = dY_g * W_g^T, then col2im scatter-adds dcol into dx
//   backward weight  dW_g += col_g^T * dY_g, accumulated over chunks with beta = 1
// Rows m run over the M = N*OH*OW output pixels; a column row is laid out [group][ky][kx][i],
// so group g's K_g = KH*KW*CG columns sit at offset g*K_g (lda = G*K_g), and W_g is the
// column block g*OG of the HWIO weight seen as [KH*KW*CG, O] (ldb = O). A 1x1, stride-1,
// unpadded convolution skips im2col: the NHWC input already is the matrix [M, C].
//
// The column matrix covers as many output rows as fit in `scratch_floats` (a per-thread
// buffer, reused across calls), so memory stays bounded whatever the batch. Results are
// bit-identical run to run: gemm_f32 is deterministic and col2im gives each thread its own
// channels, adding rows in a fixed order.
#pragma once

#include "kernels/ref/conv2d_ref.h"

namespace cnn::kernels {

inline constexpr int64_t kConv2dScratchFloats = int64_t{1} << 20;  // 4 MiB

// y [N, OH, OW, O] = conv(x, w) + bias (bias may be null).
void conv2d_forward_im2col(const Conv2dGeometry& g, const float* x, const float* w,
                           const float* bias, float* y,
                           int64_t scratch_floats = kConv2dScratchFloats);

// grad_x [N, H, W, C] (overwritten) from grad_y [N, OH, OW, O].
void conv2d_backward_data_im2col(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                 float* grad_x, int64_t scratch_floats = kConv2dScratchFloats);

// grad_w [KH, KW, C/G, O] (overwritten) from x and grad_y.
void conv2d_backward_weight_im2col(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                   float* grad_w, int64_t scratch_floats = kConv2dScratchFloats);

}  // namespace cnn::kernels
