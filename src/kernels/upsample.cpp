#include "kernels/upsample.h"

#include "kernels/ref/upsample_ref.h"

namespace cnn::kernels {

void upsample_nearest2d_forward(const ResizeGeometry& g, const float* x, float* y) {
  ref::upsample_nearest2d_forward(g, x, y);
}
void upsample_nearest2d_backward(const ResizeGeometry& g, const float* dy, float* dx) {
  ref::upsample_nearest2d_backward(g, dy, dx);
}
void upsample_bilinear2d_forward(const ResizeGeometry& g, bool align_corners, const float* x,
                                 float* y) {
  ref::upsample_bilinear2d_forward(g, align_corners, x, y);
}
void upsample_bilinear2d_backward(const ResizeGeometry& g, bool align_corners, const float* dy,
                                  float* dx) {
  ref::upsample_bilinear2d_backward(g, align_corners, dy, dx);
}

}  // namespace cnn::kernels
