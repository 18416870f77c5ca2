// Direct depthwise convolution: groups == C, so every input channel c has its own K output
// channels c*K .. c*K + K-1 (the channel multiplier K = O/C) and weight [KH, KW, 1, O].
// A GEMM per group would have depth KH*KW and width K, far too thin to pay off; here each
// output pixel is a sum of KH*KW taps, each tap an elementwise product along the channels,
// which are innermost in NHWC and HWIO, so the inner loops are contiguous and vectorize.
// With K the multiplier and (iy, ix) = (s*oy + d*ky - pad_top, s*ox + d*kx - pad_left):
//   forward          y[b, oy, ox, o]  = bias[o] + sum_{ky, kx} W[ky, kx, 0, o] * x[b, iy, ix, o/K]
//   backward data    dx[b, iy, ix, c] = sum over the taps that read (iy, ix), and k < K, of
//                                       W[ky, kx, 0, c*K + k] * dy[b, oy, ox, c*K + k]
//   backward weight  dW[ky, kx, 0, o] = sum_{b, oy, ox} dy[b, oy, ox, o] * x[b, iy, ix, o/K]
// (x read as zero outside the image.)
// Forward and backward data give each thread whole rows of their output. Backward weight
// sums into one partial weight gradient per block of rows (as many blocks as threads) and
// adds the partials in block order, so results are bit-identical for a fixed thread count.
#pragma once

#include "kernels/conv2d_types.h"

namespace cnn::kernels::cpu {

// True for the shapes these kernels take: groups == C > 1 (one input channel per group).
bool conv2d_depthwise_applies(const Conv2dGeometry& g);

// The kernel sums the taps and adds the bias; the rest of the epilogue (and the bias, when
// there is a scale to apply before it) is a pass over y afterwards (conv2d_apply_epilogue).
void conv2d_forward_depthwise(const Conv2dGeometry& g, const float* x, const float* w,
                              const float* bias, float* y, const Conv2dEpilogue& epilogue = {});
void conv2d_backward_data_depthwise(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                    float* grad_x);
void conv2d_backward_weight_depthwise(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                      float* grad_w);

}  // namespace cnn::kernels::cpu
