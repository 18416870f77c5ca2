#include "cnn/nn/fused.h"

#include <typeinfo>

#include "cnn/autograd.h"
#include "cnn/nn/activation.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/elementwise.h"
#include "nn/observed.h"

namespace cnn::nn {
namespace {

using detail::forwards_observed;

bool needs_grad(const Tensor& t) {
  return t.defined() && t.requires_grad();
}

// Whether conv_act may take the fused path (see fused.h).
bool fusable(const Conv2d& conv, const Tensor& x) {
  if (forwards_observed()) return false;
  return !autograd::grad_enabled() ||
         !(needs_grad(x) || needs_grad(conv.weight()) || needs_grad(conv.bias()));
}

// Whether conv_bn_act may take the fused path (see fused.h).
bool fusable(const Conv2d& conv, const BatchNorm2d& bn, const Tensor& x, const Tensor& residual) {
  if (bn.is_training() || !bn.running_mean().defined() || !fusable(conv, x)) return false;
  return !autograd::grad_enabled() ||
         !(needs_grad(residual) || needs_grad(bn.weight()) || needs_grad(bn.bias()));
}

// The activation a module applies, or none when it is not a ReLU or ReLU6.
bool activation_of(const Module& m, ConvActivation& act) {
  if (typeid(m) == typeid(ReLU)) {
    act = ConvActivation::relu;
    return true;
  }
  if (typeid(m) == typeid(ReLU6)) {
    act = ConvActivation::relu6;
    return true;
  }
  return false;
}

// The unfused activation, as the ReLU and ReLU6 modules compute it.
Tensor activate(const Tensor& y, ConvActivation act) {
  switch (act) {
    case ConvActivation::relu:
      return relu(y);
    case ConvActivation::relu6:
      return relu6(y);
    case ConvActivation::none:
      break;
  }
  return y;
}

}  // namespace

Tensor conv_bn_act(Conv2d& conv, BatchNorm2d& bn, const Tensor& x, ConvActivation act,
                   const Tensor& residual) {
  if (fusable(conv, bn, x, residual)) {
    const Conv2dOptions& o = conv.options();
    return conv2d_bn_act(
        x, conv.weight(), conv.bias(),
        {.running_mean = bn.running_mean(),
         .running_var = bn.running_var(),
         .gamma = bn.weight(),
         .beta = bn.bias(),
         .eps = bn.options().eps},
        residual, act,
        {.stride = o.stride, .padding = o.padding, .dilation = o.dilation, .groups = o.groups});
  }
  Tensor y = bn(conv(x));
  if (residual.defined()) y = add(residual, y);
  return activate(y, act);
}

Tensor conv_act(Conv2d& conv, const Tensor& x, ConvActivation act) {
  if (act != ConvActivation::none && fusable(conv, x)) {
    const Conv2dOptions& o = conv.options();
    return conv2d_act(
        x, conv.weight(), conv.bias(), act,
        {.stride = o.stride, .padding = o.padding, .dilation = o.dilation, .groups = o.groups});
  }
  return activate(conv(x), act);
}

Tensor sequential_conv_bn_act(Sequential& seq, const Tensor& x, const Tensor& residual) {
  if (forwards_observed()) {  // as Sequential::forward, so that the observer sees each child
    Tensor y = seq(x);
    return residual.defined() ? add(y, residual) : y;
  }
  const auto& children = seq.named_children();
  const size_t n = children.size();
  Tensor y = x;
  for (size_t i = 0; i < n;) {
    Module& m = *children[i].second;
    // exact types: a subclass may compute something else in its forward
    auto* conv = typeid(m) == typeid(Conv2d) ? static_cast<Conv2d*>(&m) : nullptr;
    Module* next = i + 1 < n ? children[i + 1].second.get() : nullptr;
    auto* bn = next != nullptr && typeid(*next) == typeid(BatchNorm2d)
                   ? static_cast<BatchNorm2d*>(next)
                   : nullptr;
    ConvActivation act = ConvActivation::none;
    if (conv != nullptr && bn != nullptr) {
      const size_t used = i + 2 < n && activation_of(*children[i + 2].second, act) ? 3 : 2;
      // the residual joins the last run's epilogue, before its activation as in the blocks
      const bool last = i + used == n && act == ConvActivation::none;
      y = conv_bn_act(*conv, *bn, y, act, last ? residual : Tensor());
      if (last) return y;
      i += used;
    } else if (conv != nullptr && next != nullptr && activation_of(*next, act)) {
      y = conv_act(*conv, y, act);
      i += 2;
    } else if (typeid(m) == typeid(Sequential)) {
      y = sequential_conv_bn_act(static_cast<Sequential&>(m), y);
      ++i;
    } else {
      y = m(y);
      ++i;
    }
  }
  return residual.defined() ? add(y, residual) : y;
}

Tensor residual_conv_bn_act(Conv2d& conv, BatchNorm2d& bn, const Tensor& x, Sequential* downsample,
                            const Tensor& identity, ConvActivation act) {
  if (forwards_observed()) {  // torchvision's order: conv, bn, then the shortcut
    const Tensor r = bn(conv(x));
    return activate(add(downsample != nullptr ? (*downsample)(identity) : identity, r), act);
  }
  // The shortcut first, so that the add and the activation join conv's epilogue.
  const Tensor shortcut =
      downsample != nullptr ? sequential_conv_bn_act(*downsample, identity) : identity;
  return conv_bn_act(conv, bn, x, act, shortcut);
}

}  // namespace cnn::nn
