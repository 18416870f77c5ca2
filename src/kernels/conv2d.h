// The convolution family: what ops call. Each pass runs the first algorithm of the table in
// kernels/cpu/conv2d_algorithms.h that takes the geometry (depthwise, Winograd, the AVX-512
// direct kernels, the strided backward data in phases, the implicit GEMM), and the reference
// kernels (kernels/ref/conv2d_ref.h) where none would. Types: kernels/conv2d_types.h.
#pragma once

#include <string>

#include "kernels/conv2d_types.h"

namespace cnn::kernels {

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                    float* y, const Conv2dEpilogue& epilogue = {});
void conv2d_backward_data(const Conv2dGeometry& g, const float* grad_y, const float* w,
                          float* grad_x);
void conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* grad_y,
                            float* grad_w);

// The name of the algorithm that `pass` runs for g: a table entry's name ("depthwise",
// "winograd", "direct", "phases", "gemm"), or "reference".
std::string conv2d_algorithm(const Conv2dGeometry& g, Conv2dPass pass = Conv2dPass::forward);

}  // namespace cnn::kernels
