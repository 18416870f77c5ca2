// conv2d: checks, algorithm choice and the backward node. The formulas, forward and backward
// side by side, are in kernels/ref/conv2d_ref.h; the kernels used here must match those.
//   forward          y  = conv(x, W) + b                         [N, OH, OW, O]
//   backward data    dx = the transposed convolution of dy by W  [N, H, W, C]
//   backward weight  dW[ky, kx, i, o] = sum_{b, oy, ox} dy * Padd(x) at the tap
//   backward bias    db[o] = sum_{b, oy, ox} dy[b, oy, ox, o]
// conv2d_bn_act: the inference fusion of conv2d, batch_norm, add and relu/relu6, and conv2d_act,
// of conv2d and relu/relu6, through the kernels' epilogue (Conv2dEpilogue,
// kernels/conv2d_types.h).
// Algorithm: chosen by shape by kernels/conv2d.h, from the table of
// kernels/cpu/conv2d_algorithms.h.
#include "cnn/ops/conv.h"

#include <cmath>
#include <initializer_list>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/ops/reduce.h"
#include "cnn/trace.h"
#include "kernels/conv2d.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;
using kernels::Conv2dGeometry;

constexpr const char* kOp = "conv2d";

void check_options(const Conv2dOptions& o) {
  CNN_CHECK(o.groups >= 1, "conv2d: option 'groups' must be at least 1, got ", o.groups);
  CNN_CHECK(o.stride.h >= 1 && o.stride.w >= 1, "conv2d: option 'stride' must be positive, got ",
            o.stride);
  CNN_CHECK(o.dilation.h >= 1 && o.dilation.w >= 1,
            "conv2d: option 'dilation' must be positive, got ", o.dilation);
  const Pad2d& p = o.padding;
  CNN_CHECK(p.top >= 0 && p.bottom >= 0 && p.left >= 0 && p.right >= 0,
            "conv2d: option 'padding' must not be negative, got ", p);
}

// Validates every argument and returns the geometry of the convolution.
Conv2dGeometry check_conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const Conv2dOptions& o) {
  detail::check_rank(x, 4, kOp, "x", "[batch, rows, cols, channels]");
  detail::check_rank(weight, 4, kOp, "weight",
                     "[kernel_rows, kernel_cols, in_channels / groups, out_channels]");
  check_options(o);
  const Shape& xs = x.shape();
  const Shape& ws = weight.shape();
  CNN_CHECK(ws[0] >= 1 && ws[1] >= 1 && ws[2] >= 1 && ws[3] >= 1,
            "conv2d: argument 'weight' must have positive extents, got shape ", to_string(ws));
  CNN_CHECK(xs[3] % o.groups == 0, "conv2d: x has ", xs[3],
            " channels, not divisible by groups = ", o.groups, " (x shape ", to_string(xs), ")");
  CNN_CHECK(ws[3] % o.groups == 0, "conv2d: weight has ", ws[3],
            " output channels, not divisible by groups = ", o.groups, " (weight shape ",
            to_string(ws), ")");
  CNN_CHECK(xs[3] == ws[2] * o.groups, "conv2d: x has ", xs[3], " channels but weight of shape ",
            to_string(ws), " with groups = ", o.groups, " expects ", ws[2] * o.groups,
            " (in_channels / groups = ", ws[2], "); x shape ", to_string(xs));
  if (bias.defined()) {
    detail::check_rank(bias, 1, kOp, "bias", "[out_channels]");
    CNN_CHECK(bias.size(0) == ws[3], "conv2d: argument 'bias' must have shape [", ws[3],
              "] (one per output channel of weight ", to_string(ws), "), got shape ",
              to_string(bias.shape()));
  }
  const Conv2dGeometry g =
      kernels::make_conv2d_geometry(xs, ws, o.groups, o.stride, o.padding, o.dilation);
  CNN_CHECK(g.out_h >= 1 && g.out_w >= 1, "conv2d: kernel ", ws[0], "x", ws[1], " with dilation ",
            o.dilation, " spans ", o.dilation.h * (ws[0] - 1) + 1, "x",
            o.dilation.w * (ws[1] - 1) + 1, ", larger than the padded input ",
            xs[1] + o.padding.top + o.padding.bottom, "x", xs[2] + o.padding.left + o.padding.right,
            " (x shape ", to_string(xs), ", padding ", o.padding, "): output size would be ",
            g.out_h, "x", g.out_w);
  return g;
}

// A batch norm tensor: defined (unless optional), float32, [channels].
void check_channel_vector(const Tensor& t, const char* name, int64_t channels, bool optional) {
  if (optional && !t.defined()) return;
  CNN_CHECK(t.defined(), "conv2d_bn_act: argument '", name, "' is required");
  CNN_CHECK(t.dtype() == DType::f32 && t.dim() == 1 && t.size(0) == channels,
            "conv2d_bn_act: argument '", name, "' must be a float32 tensor of shape [", channels,
            "] (one per output channel), got shape ", to_string(t.shape()));
}

// The fused ops record no backward, so they refuse to run where a graph is being built.
void check_no_graph(const char* op, const char* separate_ops,
                    std::initializer_list<const Tensor*> args) {
  if (!autograd::grad_enabled()) return;
  for (const Tensor* t : args)
    CNN_CHECK(!t->defined() || !t->requires_grad(), op,
              ": inference only (it records no backward), but grad mode is on and an argument "
              "requires grad; use ",
              separate_ops, ", or a NoGradGuard");
}

// ReLU: max(v, 0); ReLU6: min(max(v, 0), 6), in the kernel's epilogue.
void set_activation(ConvActivation act, kernels::Conv2dEpilogue& epilogue) {
  epilogue.relu = act != ConvActivation::none;
  if (act == ConvActivation::relu6) epilogue.relu_max = 6.0f;
}

}  // namespace

Tensor conv2d_bn_act(const Tensor& x, const Tensor& weight, const Tensor& bias,
                     const ConvBatchNorm& bn, const Tensor& residual, ConvActivation act,
                     const Conv2dOptions& options) {
  const Conv2dGeometry g = check_conv2d(x, weight, bias, options);
  const int64_t channels = g.out_c;
  check_channel_vector(bn.running_mean, "running_mean", channels, false);
  check_channel_vector(bn.running_var, "running_var", channels, false);
  check_channel_vector(bn.gamma, "gamma", channels, true);
  check_channel_vector(bn.beta, "beta", channels, true);
  CNN_CHECK(bn.eps >= 0.0f, "conv2d_bn_act: 'eps' must be >= 0, got ", bn.eps);
  const Shape out_shape{g.batch, g.out_h, g.out_w, g.out_c};
  if (residual.defined())
    CNN_CHECK(residual.dtype() == DType::f32 && residual.shape() == out_shape,
              "conv2d_bn_act: argument 'residual' must be float32 of the output's shape ",
              to_string(out_shape), ", got ", to_string(residual.shape()));
  check_no_graph("conv2d_bn_act", "conv2d and batch_norm",
                 {&x, &weight, &bias, &bn.gamma, &bn.beta, &residual});
  // s = gamma / sqrt(var + eps), t = beta + (bias - mean) * s, in double, rounded once.
  const Tensor mean = bn.running_mean.contiguous(), var = bn.running_var.contiguous();
  const Tensor gamma = bn.gamma.defined() ? bn.gamma.contiguous() : Tensor();
  const Tensor beta = bn.beta.defined() ? bn.beta.contiguous() : Tensor();
  const Tensor conv_bias = bias.defined() ? bias.contiguous() : Tensor();
  std::vector<float> scale(static_cast<size_t>(channels)), shift(scale.size());
  for (int64_t o = 0; o < channels; ++o) {
    const double s = (gamma.defined() ? gamma.data()[o] : 1.0) /
                     std::sqrt(static_cast<double>(var.data()[o]) + bn.eps);
    const double b = conv_bias.defined() ? conv_bias.data()[o] : 0.0;
    scale[o] = static_cast<float>(s);
    shift[o] =
        static_cast<float>((beta.defined() ? beta.data()[o] : 0.0) + (b - mean.data()[o]) * s);
  }
  const Tensor xc = x.contiguous(), wc = weight.contiguous();
  const Tensor rc = residual.defined() ? residual.contiguous() : Tensor();
  Tensor y = Tensor::empty(out_shape);
  kernels::Conv2dEpilogue epilogue;
  epilogue.scale = scale.data();
  epilogue.residual = rc.defined() ? rc.data() : nullptr;
  set_activation(act, epilogue);
  kernels::conv2d_forward(g, xc.data(), wc.data(), shift.data(), y.data(), epilogue);
  return y;
}

Tensor conv2d_act(const Tensor& x, const Tensor& weight, const Tensor& bias, ConvActivation act,
                  const Conv2dOptions& options, const Tensor& residual) {
  const Conv2dGeometry g = check_conv2d(x, weight, bias, options);
  const Shape out_shape{g.batch, g.out_h, g.out_w, g.out_c};
  if (residual.defined())
    CNN_CHECK(residual.dtype() == DType::f32 && residual.shape() == out_shape,
              "conv2d_act: argument 'residual' must be float32 of the output's shape ",
              to_string(out_shape), ", got ", to_string(residual.shape()));
  check_no_graph("conv2d_act", "conv2d, add and relu", {&x, &weight, &bias, &residual});
  const Tensor xc = x.contiguous(), wc = weight.contiguous();
  const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  const Tensor rc = residual.defined() ? residual.contiguous() : Tensor();
  Tensor y = Tensor::empty(out_shape);
  // no scale: every kernel adds the bias to the sum as conv2d does, then the residual, then clamps
  kernels::Conv2dEpilogue epilogue;
  epilogue.residual = rc.defined() ? rc.data() : nullptr;
  set_activation(act, epilogue);
  kernels::conv2d_forward(g, xc.data(), wc.data(), bc.defined() ? bc.data() : nullptr, y.data(),
                          epilogue);
  return y;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options) {
  const Conv2dGeometry g = check_conv2d(x, weight, bias, options);
  const Tensor xc = x.contiguous(), wc = weight.contiguous();
  const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  const float* b = bc.defined() ? bc.data() : nullptr;
  Tensor y = Tensor::empty({g.batch, g.out_h, g.out_w, g.out_c});
  kernels::conv2d_forward(g, xc.data(), wc.data(), b, y.data());

  const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  // Each gradient needs the other operand: dx needs W, dW needs x.
  autograd::record("conv2d", {x, weight, bias}, {y},
                   [g, need_x, need_w, need_b, x_saved = need_w ? xc.detach() : Tensor(),
                    w_saved = need_x ? wc.detach() : Tensor()](const TensorList& grads) {
                     const Tensor dy = grads[0].contiguous();
                     Tensor dx, dw, db;
                     if (need_x) {  // dx = conv_transpose(dy, W)
                       dx = Tensor::empty({g.batch, g.in_h, g.in_w, g.in_c});
                       kernels::conv2d_backward_data(g, dy.data(), w_saved.data(), dx.data());
                     }
                     if (need_w) {  // dW = sum over output pixels of dy * Padd(x) at each tap
                       dw = Tensor::empty({g.kernel_h, g.kernel_w, g.group_in(), g.out_c});
                       kernels::conv2d_backward_weight(g, x_saved.data(), dy.data(), dw.data());
                     }
                     if (need_b)
                       db = sum(dy, {0, 1, 2});  // db[o] = sum_{b, oy, ox} dy[b, oy, ox, o]
                     return TensorList{dx, dw, db};
                   });
  CNN_TRACE("conv2d", {x, weight, bias}, {y},
            {{"stride", options.stride},
             {"padding", options.padding},
             {"dilation", options.dilation},
             {"groups", options.groups}});
  return y;
}

}  // namespace cnn
