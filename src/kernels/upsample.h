// The resizing family: what ops call, with the contracts of kernels/ref/upsample_ref.h (no fast
// kernel: the reference runs).
#pragma once

#include "kernels/upsample_types.h"

namespace cnn::kernels {

void upsample_nearest2d_forward(const ResizeGeometry& g, const float* x, float* y);
void upsample_nearest2d_backward(const ResizeGeometry& g, const float* dy, float* dx);
void upsample_bilinear2d_forward(const ResizeGeometry& g, bool align_corners, const float* x,
                                 float* y);
void upsample_bilinear2d_backward(const ResizeGeometry& g, bool align_corners, const float* dy,
                                  float* dx);

}  // namespace cnn::kernels
