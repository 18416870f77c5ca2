#include "kernels/cpu/conv2d.h"

#include <algorithm>
#include <vector>

#include "cnn/parallel.h"
#include "kernels/cpu/conv2d_depthwise.h"
#include "kernels/cpu/conv2d_direct.h"
#include "kernels/cpu/conv2d_strided.h"
#include "kernels/cpu/conv2d_winograd.h"
#include "kernels/cpu/gemm.h"

namespace cnn::kernels {

namespace {

// Conv2dEpilogue over y [pixels, O] in place, bias included only where the kernel left it out:
// the GEMM's epilogue over the output seen as a [pixels, O] matrix.
void depthwise_epilogue(const Conv2dGeometry& g, const float* bias, float* y,
                        const Conv2dEpilogue& e) {
  const GemmEpilogue ge{.scale = e.scale,
                        .bias = bias,
                        .residual = e.residual,
                        .ldr = g.out_c,
                        .relu = e.relu,
                        .relu_max = e.relu_max};
  parallel_for(g.batch * g.out_h * g.out_w, 64, [&](int64_t p0, int64_t p1) {
    apply_epilogue(ge, p0, 0, p1 - p0, g.out_c, y + p0 * g.out_c, g.out_c);
  });
}

}  // namespace

std::string conv2d_algorithm(const Conv2dGeometry& g) {
  if (conv2d_depthwise_applies(g)) return "depthwise";
  if (conv2d_winograd_applies(g)) return "winograd";
  if (conv2d_direct_applies(g)) return "direct";
  return "gemm";
}

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                    float* y, const Conv2dEpilogue& e) {
  if (conv2d_depthwise_applies(g)) {
    // the depthwise kernel has no epilogue of its own: the bias waits for the scale
    conv2d_forward_depthwise(g, x, w, e.scale != nullptr ? nullptr : bias, y);
    if (e.scale != nullptr || e.residual != nullptr || e.relu)
      depthwise_epilogue(g, e.scale != nullptr ? bias : nullptr, y, e);
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
  } else if (conv2d_backward_data_phases_apply(g)) {
    conv2d_backward_data_phases(g, grad_y, w, grad_x);
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
