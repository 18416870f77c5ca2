// The convolution algorithm chosen by shape, forward and both backward passes:
//   depthwise (groups == C)                           direct depthwise loops (conv2d_depthwise.h)
//   3x3 stride 1, groups 1, where it wins             Winograd F(4x4, 3x3) (conv2d_winograd.h)
//   groups 1, C and O multiples of 16, AVX-512        direct blocked kernels (conv2d_direct.h)
//   everything else (1x1 as a plain GEMM)             implicit GEMM (conv2d_gemm.h)
// With stride 1 the backward data is a forward convolution of dy by the flipped weight, and
// goes through Winograd or the direct forward kernel where they apply; with a larger stride it
// is stride_h x stride_w such convolutions, one per phase of dx (conv2d_strided.h), and only
// dilated or grouped strided convolutions use the implicit GEMM's scatter-add. The backward
// weight has no Winograd form here.
#pragma once

#include <string>

#include "kernels/cpu/conv2d_gemm.h"

namespace cnn::kernels {

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                    float* y, const Conv2dEpilogue& epilogue = {});
void conv2d_backward_data(const Conv2dGeometry& g, const float* grad_y, const float* w,
                          float* grad_x);
void conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* grad_y,
                            float* grad_w);

// "depthwise", "winograd", "direct" or "gemm": what conv2d_forward runs for g.
std::string conv2d_algorithm(const Conv2dGeometry& g);

}  // namespace cnn::kernels
