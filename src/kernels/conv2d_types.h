// The convolution's shared vocabulary, read by every conv2d kernel (reference and fast) and by
// the ops: the geometry, the inference epilogue, and the transposed convolution that the
// stride-1 backward data is.
//
// Layouts: x [N, H, W, C] (NHWC, the lecture's L[b, x, y, i]), weight [KH, KW, C/G, O]
// (HWIO, the lecture's W[dx, dy, i, j]), y [N, OH, OW, O]. With G groups, input channel
// g*CG + i (CG = C/G) feeds output channel g*OG + j (OG = O/G) through W[ky, kx, i, g*OG + j].
#pragma once

#include <cstdint>
#include <limits>

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

// 1x1, stride 1, no padding: output pixel m reads input pixel m alone (a plain GEMM on x).
bool conv2d_is_pointwise(const Conv2dGeometry& g);

// What inference fuses into the convolution's output, for output element y[b, oy, ox, o]:
//   y = conv(x, w)[b, oy, ox, o] * scale[o] + bias[o]    (bias: the forward's own argument;
//                                                          each term only where it is set)
//   y = y + residual[b, oy, ox, o]                        (where residual is set)
//   y = min(max(y, 0), relu_max)                          (only when relu)
// With scale = gamma / sqrt(var + eps) and bias = beta - mean * scale (+ conv bias * scale)
// this is an inference batch norm; relu_max = +inf gives ReLU, 6 gives ReLU6. Every forward
// algorithm applies all of it.
struct Conv2dEpilogue {
  const float* scale = nullptr;     // [O], may be null (1)
  const float* residual = nullptr;  // [N, OH, OW, O], may be null
  bool relu = false;
  float relu_max = std::numeric_limits<float>::infinity();  // the clamp's top, with relu only
};

// The stride-1 backward data as a forward convolution of grad_y: its geometry (input dy
// [N, OH, OW, O], output [N, H, W, C], padding d*(K-1) - pad, negative when the forward
// padding exceeds the kernel's reach) and its weight W'[ky, kx, j, g*CG + i] =
// W[KH-1-ky, KW-1-kx, i, g*OG + j] ([KH, KW, O/G, C], written to `out`).
Conv2dGeometry conv2d_transposed_geometry(const Conv2dGeometry& g);
void conv2d_flip_weight(const Conv2dGeometry& g, const float* w, float* out);

// The three passes of a convolution, and the signature each algorithm gives them (the kernels
// of kernels/ref/conv2d_ref.h and kernels/cpu/conv2d_*.h; the epilogue is the forward's only):
//   forward          y [N, OH, OW, O] = conv(x, w) (* scale) + bias (may be null), epilogue
//   backward data    grad_x [N, H, W, C] (overwritten) from grad_y [N, OH, OW, O] and w
//   backward weight  grad_w [KH, KW, C/G, O] (overwritten) from x and grad_y
enum class Conv2dPass { forward, backward_data, backward_weight };
using Conv2dForwardFn = void (*)(const Conv2dGeometry& g, const float* x, const float* w,
                                 const float* bias, float* y, const Conv2dEpilogue& epilogue);
using Conv2dBackwardDataFn = void (*)(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                      float* grad_x);
using Conv2dBackwardWeightFn = void (*)(const Conv2dGeometry& g, const float* x,
                                        const float* grad_y, float* grad_w);
// Whether an algorithm's pass takes the convolution g.
using Conv2dAppliesFn = bool (*)(const Conv2dGeometry& g);

}  // namespace cnn::kernels
