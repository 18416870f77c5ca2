#include "kernels/cpu/conv2d_algorithms.h"

#include <vector>

#include "cnn/parallel.h"
#include "kernels/cpu/conv2d_depthwise.h"
#include "kernels/cpu/conv2d_direct.h"
#include "kernels/cpu/conv2d_gemm.h"
#include "kernels/cpu/conv2d_strided.h"
#include "kernels/cpu/conv2d_winograd.h"
#include "kernels/cpu/gemm.h"

namespace cnn::kernels::cpu {
namespace {

constexpr Conv2dAlgorithm kAlgorithms[] = {
    {.name = "depthwise",
     .forward = {conv2d_depthwise_applies, conv2d_forward_depthwise},
     .backward_data = {conv2d_depthwise_applies, conv2d_backward_data_depthwise},
     .backward_weight = {conv2d_depthwise_applies, conv2d_backward_weight_depthwise}},
    {.name = "winograd",
     .forward = {conv2d_winograd_applies, conv2d_forward_winograd},
     .backward_data = {conv2d_winograd_backward_data_applies, conv2d_backward_data_winograd},
     .backward_weight = {}},  // none: no Winograd form of the weight gradient here
    {.name = "direct",
     .forward = {conv2d_direct_applies, conv2d_forward_direct},
     .backward_data = {conv2d_direct_backward_data_applies, conv2d_backward_data_direct},
     .backward_weight = {conv2d_direct_applies, conv2d_backward_weight_direct}},
    {.name = "phases",  // the strided backward data only
     .forward = {},
     .backward_data = {conv2d_backward_data_phases_apply, conv2d_backward_data_phases},
     .backward_weight = {}},
    {.name = "gemm",
     .forward = {conv2d_gemm_applies, conv2d_forward_gemm},
     .backward_data = {conv2d_gemm_applies, conv2d_backward_data_gemm},
     .backward_weight = {conv2d_gemm_applies, conv2d_backward_weight_gemm}},
};

}  // namespace

bool Conv2dAlgorithm::has(Conv2dPass pass) const {
  switch (pass) {
    case Conv2dPass::forward:
      return forward.run != nullptr;
    case Conv2dPass::backward_data:
      return backward_data.run != nullptr;
    case Conv2dPass::backward_weight:
      break;
  }
  return backward_weight.run != nullptr;
}

bool Conv2dAlgorithm::applies(Conv2dPass pass, const Conv2dGeometry& g) const {
  switch (pass) {
    case Conv2dPass::forward:
      return forward.run != nullptr && forward.applies(g);
    case Conv2dPass::backward_data:
      return backward_data.run != nullptr && backward_data.applies(g);
    case Conv2dPass::backward_weight:
      break;
  }
  return backward_weight.run != nullptr && backward_weight.applies(g);
}

std::span<const Conv2dAlgorithm> conv2d_algorithms() {
  return kAlgorithms;
}

const Conv2dAlgorithm* conv2d_algorithm_for(Conv2dPass pass, const Conv2dGeometry& g) {
  for (const Conv2dAlgorithm& a : kAlgorithms)
    if (a.applies(pass, g)) return &a;
  return nullptr;
}

void conv2d_backward_data_flipped(Conv2dForwardFn forward, const Conv2dGeometry& g,
                                  const float* grad_y, const float* w, float* grad_x) {
  // kept across calls: a training step asks for the same sizes every time
  thread_local std::vector<float> flipped;
  flipped.resize(static_cast<size_t>(g.kernel_h * g.kernel_w * g.group_in() * g.out_c));
  conv2d_flip_weight(g, w, flipped.data());
  forward(conv2d_transposed_geometry(g), grad_y, flipped.data(), nullptr, grad_x, {});
}

// Conv2dEpilogue over y [pixels, O]: the GEMM's epilogue over the output seen as a [pixels, O]
// matrix.
void conv2d_apply_epilogue(const Conv2dGeometry& g, const float* bias, float* y,
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

}  // namespace cnn::kernels::cpu
