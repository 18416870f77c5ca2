// Convolution as matrix multiplication, the lecture's L~[b, x, y, dx, dy, i]: row m of the
// matrix holds the receptive field of output pixel m, and each group's convolution is one
// kernels::gemm_f32 call with the weight viewed as the matrix W_g [KH*KW*CG, OG]:
//   forward          Y_g = F_g * W_g                (F_g [M, K_g]: the receptive fields)
//   backward weight  dW_g = F_g^T * dY_g
//   backward data    stride 1: the forward convolution of dY by the flipped, transposed weight
//                    W'[ky, kx, j, i] = W[KH-1-ky, KW-1-kx, i, j] with padding d*(K-1) - pad
//                    (conv2d_backward_data_flipped, conv2d_algorithms.h), run by
//                    conv2d_forward_gemm;
//                    otherwise dF_g = dY_g * W_g^T, scatter-added into dx ("col2im")
// M = N*OH*OW output pixels; a field row is laid out [ky][kx][i] (K_g = KH*KW*CG), and W_g is
// the column block g*OG of the HWIO weight seen as [KH*KW*CG, O]. The fields are never written
// out ("implicit GEMM"): the GEMM's packing reads them straight from the NHWC image, one
// cache-sized block at a time. A 1x1, stride-1, unpadded convolution's field matrix is the
// input itself.
//
// Only the strided backward data needs a buffer (the field gradients of a chunk of output rows,
// at most `scratch_floats`, reused per thread). Results are bit-identical run to run:
// gemm_f32 is deterministic and col2im gives each thread its own channels, adding rows in a
// fixed order.
#pragma once

#include "kernels/conv2d_types.h"

namespace cnn::kernels::cpu {

inline constexpr int64_t kConv2dScratchFloats = int64_t{1} << 20;  // 4 MiB

// y [N, OH, OW, O] = conv(x, w) (* scale) + bias (bias may be null), then the epilogue.
void conv2d_forward_gemm(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                         float* y, const Conv2dEpilogue& epilogue = {});

// With each group's weight packed once as the GEMM's B (gemm_pack_b; prepared inference,
// kernels/cpu/conv2d_prepared.h): every geometry, nothing of the weight repacked per call.
int64_t conv2d_gemm_packed_floats(const Conv2dGeometry& g);
void conv2d_gemm_pack_weight(const Conv2dGeometry& g, const float* w, float* packed);
void conv2d_forward_gemm_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                const float* bias, float* y, const Conv2dEpilogue& epilogue = {});

// Every geometry: the algorithm of last resort.
bool conv2d_gemm_applies(const Conv2dGeometry& g);

// grad_x [N, H, W, C] (overwritten) from grad_y [N, OH, OW, O], the strided scatter-add in
// chunks of at most scratch_floats (kConv2dScratchFloats without it).
void conv2d_backward_data_gemm(const Conv2dGeometry& g, const float* grad_y, const float* w,
                               float* grad_x);
void conv2d_backward_data_gemm(const Conv2dGeometry& g, const float* grad_y, const float* w,
                               float* grad_x, int64_t scratch_floats);

// grad_w [KH, KW, C/G, O] (overwritten) from x and grad_y.
void conv2d_backward_weight_gemm(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                 float* grad_w);

}  // namespace cnn::kernels::cpu
