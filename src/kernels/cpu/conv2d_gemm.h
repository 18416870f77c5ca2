// Convolution as matrix multiplication, the lecture's L~[b, x, y, dx, dy, i]: row m of the
// matrix holds the receptive field of output pixel m, and each group's convolution is one
// kernels::gemm_f32 call with the weight viewed as the matrix W_g [KH*KW*CG, OG]:
//   forward          Y_g = F_g * W_g                (F_g [M, K_g]: the receptive fields)
//   backward weight  dW_g = F_g^T * dY_g
//   backward data    stride 1: the forward convolution of dY by the flipped, transposed weight
//                    W'[ky, kx, j, i] = W[KH-1-ky, KW-1-kx, i, j] with padding d*(K-1) - pad;
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

#include <limits>

#include "kernels/ref/conv2d_ref.h"

namespace cnn::kernels {

inline constexpr int64_t kConv2dScratchFloats = int64_t{1} << 20;  // 4 MiB

// What inference fuses into the convolution's output, for output element y[b, oy, ox, o]:
//   y = conv(x, w)[b, oy, ox, o] * scale[o] + bias[o]    (bias: the forward's own argument;
//                                                          each term only where it is set)
//   y = y + residual[b, oy, ox, o]                        (where residual is set)
//   y = min(max(y, 0), relu_max)                          (only when relu)
// With scale = gamma / sqrt(var + eps) and bias = beta - mean * scale (+ conv bias * scale)
// this is an inference batch norm; relu_max = +inf gives ReLU, 6 gives ReLU6. Every forward
// algorithm (gemm, direct, depthwise) applies all of it.
struct Conv2dEpilogue {
  const float* scale = nullptr;     // [O], may be null (1)
  const float* residual = nullptr;  // [N, OH, OW, O], may be null
  bool relu = false;
  float relu_max = std::numeric_limits<float>::infinity();  // the clamp's top, with relu only
};

// y [N, OH, OW, O] = conv(x, w) (* scale) + bias (bias may be null), then the epilogue.
void conv2d_forward_gemm(const Conv2dGeometry& g, const float* x, const float* w,
                         const float* bias, float* y, const Conv2dEpilogue& epilogue = {});

// grad_x [N, H, W, C] (overwritten) from grad_y [N, OH, OW, O].
void conv2d_backward_data_gemm(const Conv2dGeometry& g, const float* grad_y, const float* w,
                               float* grad_x, int64_t scratch_floats = kConv2dScratchFloats);

// 1x1, stride 1, no padding: field row m is input pixel m itself, the input the field matrix.
bool conv2d_is_pointwise(const Conv2dGeometry& g);

// The stride-1 backward data as a forward convolution of grad_y: its geometry (input dy
// [N, OH, OW, O], output [N, H, W, C], padding d*(K-1) - pad, negative when the forward
// padding exceeds the kernel's reach) and its weight W'[ky, kx, j, g*CG + i] =
// W[KH-1-ky, KW-1-kx, i, g*OG + j] ([KH, KW, O/G, C], written to `out`).
Conv2dGeometry conv2d_transposed_geometry(const Conv2dGeometry& g);
void conv2d_flip_weight(const Conv2dGeometry& g, const float* w, float* out);

// grad_w [KH, KW, C/G, O] (overwritten) from x and grad_y.
void conv2d_backward_weight_gemm(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                 float* grad_w);

}  // namespace cnn::kernels
