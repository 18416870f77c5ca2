#include "kernels/cpu/conv2d.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/conv2d_depthwise.h"
#include "kernels/cpu/conv2d_direct.h"
#include "kernels/cpu/conv2d_winograd.h"

namespace cnn::kernels {

std::string conv2d_algorithm(const Conv2dGeometry& g) {
  if (conv2d_depthwise_applies(g)) return "depthwise";
  if (conv2d_winograd_applies(g)) return "winograd";
  if (conv2d_direct_applies(g)) return "direct";
  return "gemm";
}

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                    float* y, const Conv2dEpilogue& e) {
  if (conv2d_depthwise_applies(g)) {
    conv2d_forward_depthwise(g, x, w, bias, y);
    // the depthwise kernel has no epilogue of its own
    const int64_t n = g.batch * g.out_h * g.out_w * g.out_c;
    if (e.residual != nullptr)
      for (int64_t i = 0; i < n; ++i) y[i] += e.residual[i];
    if (e.relu)
      for (int64_t i = 0; i < n; ++i) y[i] = std::max(y[i], 0.0f);
  } else if (conv2d_winograd_applies(g)) {
    conv2d_forward_winograd(g, x, w, bias, y, e);
  } else if (conv2d_direct_applies(g)) {
    conv2d_forward_direct(g, x, w, bias, y, e);
  } else {
    conv2d_forward_gemm(g, x, w, bias, y, e);
  }
}

void conv2d_backward_data(const Conv2dGeometry& g, const float* grad_y, const float* w,
                          float* grad_x) {
  if (conv2d_depthwise_applies(g)) {
    conv2d_backward_data_depthwise(g, grad_y, w, grad_x);
  } else if (g.stride_h == 1 && g.stride_w == 1 &&
             conv2d_winograd_applies(conv2d_transposed_geometry(g))) {
    // the forward convolution of dy by the flipped weight (conv2d_gemm.h), through Winograd
    thread_local std::vector<float> flipped;
    flipped.resize(static_cast<size_t>(g.kernel_h * g.kernel_w * g.in_c * g.out_c));
    conv2d_flip_weight(g, w, flipped.data());
    conv2d_forward_winograd(conv2d_transposed_geometry(g), grad_y, flipped.data(), nullptr, grad_x);
  } else if (conv2d_direct_backward_data_applies(g)) {
    conv2d_backward_data_direct(g, grad_y, w, grad_x);
  } else {
    conv2d_backward_data_gemm(g, grad_y, w, grad_x);
  }
}

void conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* grad_y,
                            float* grad_w) {
  if (conv2d_depthwise_applies(g)) {
    conv2d_backward_weight_depthwise(g, x, grad_y, grad_w);
  } else if (conv2d_direct_applies(g)) {
    conv2d_backward_weight_direct(g, x, grad_y, grad_w);
  } else {
    conv2d_backward_weight_gemm(g, x, grad_y, grad_w);
  }
}

}  // namespace cnn::kernels
