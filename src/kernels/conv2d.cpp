#include "kernels/conv2d.h"

#include "kernels/cpu/conv2d_algorithms.h"
#include "kernels/ref/conv2d_ref.h"

namespace cnn::kernels {

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                    float* y, const Conv2dEpilogue& e) {
  if (const cpu::Conv2dAlgorithm* a = cpu::conv2d_algorithm_for(Conv2dPass::forward, g)) {
    a->forward.run(g, x, w, bias, y, e);
    return;
  }
  ref::conv2d_forward(g, x, w, e.scale != nullptr ? nullptr : bias, y);
  if (e.scale != nullptr || e.residual != nullptr || e.relu)
    cpu::conv2d_apply_epilogue(g, e.scale != nullptr ? bias : nullptr, y, e);
}

void conv2d_backward_data(const Conv2dGeometry& g, const float* grad_y, const float* w,
                          float* grad_x) {
  if (const cpu::Conv2dAlgorithm* a = cpu::conv2d_algorithm_for(Conv2dPass::backward_data, g)) {
    a->backward_data.run(g, grad_y, w, grad_x);
    return;
  }
  ref::conv2d_backward_data(g, grad_y, w, grad_x);
}

void conv2d_backward_weight(const Conv2dGeometry& g, const float* x, const float* grad_y,
                            float* grad_w) {
  if (const cpu::Conv2dAlgorithm* a = cpu::conv2d_algorithm_for(Conv2dPass::backward_weight, g)) {
    a->backward_weight.run(g, x, grad_y, grad_w);
    return;
  }
  ref::conv2d_backward_weight(g, x, grad_y, grad_w);
}

std::string conv2d_algorithm(const Conv2dGeometry& g, Conv2dPass pass) {
  const cpu::Conv2dAlgorithm* a = cpu::conv2d_algorithm_for(pass, g);
  return a != nullptr ? a->name : "reference";
}

}  // namespace cnn::kernels
