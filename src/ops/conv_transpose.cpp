// conv_transpose2d: checks and the backward node, on the conv2d kernels. Let conv be the
// forward convolution with the same options from y's space [N, OH, OW, O] to x's space
// [N, H, W, C] (geometry g, weight W read as its HWIO weight [KH, KW, O/G, C]). Then
//   forward          y  = conv's backward data applied to x, + b      [N, OH, OW, O]
//   backward data    dx = conv(dy, W)                                 [N, H, W, C]
//   backward weight  dW = conv's backward weight with dy as its input and x as its output
//                         gradient: dW[ky, kx, o, i] = sum_{b, h, w} x[b, h, w, i]
//                                                      * Padd(dy)[b, s*h + d*ky, s*w + d*kx, o]
//   backward bias    db[o] = sum_{b, oy, ox} dy[b, oy, ox, o]
// Where output_padding >= stride (allowed when it is below the dilation), conv's own output
// size formula gives more than H rows; the last rows of y then feed no x pixel and g.out_h is
// set to H (the kernels read the padding at the bottom and right only through out_h, out_w).
#include "cnn/ops/conv_transpose.h"

#include "cnn/autograd.h"
#include "cnn/ops/reduce.h"
#include "cnn/parallel.h"
#include "cnn/trace.h"
#include "kernels/conv2d.h"
#include "kernels/gemm.h"
#include "ops/checks.h"

namespace cnn {
namespace {

using autograd::TensorList;
using kernels::Conv2dGeometry;

constexpr const char* kOp = "conv_transpose2d";

void check_options(const ConvTranspose2dOptions& o) {
  CNN_CHECK(o.groups >= 1, kOp, ": option 'groups' must be at least 1, got ", o.groups);
  CNN_CHECK(o.stride.h >= 1 && o.stride.w >= 1, kOp, ": option 'stride' must be positive, got ",
            o.stride);
  CNN_CHECK(o.dilation.h >= 1 && o.dilation.w >= 1, kOp,
            ": option 'dilation' must be positive, got ", o.dilation);
  const Pad2d& p = o.padding;
  CNN_CHECK(p.top >= 0 && p.bottom >= 0 && p.left >= 0 && p.right >= 0, kOp,
            ": option 'padding' must not be negative, got ", p);
  const Size2& op = o.output_padding;
  CNN_CHECK(op.h >= 0 && op.w >= 0, kOp, ": option 'output_padding' must not be negative, got ",
            op);
  CNN_CHECK(
      (op.h < o.stride.h || op.h < o.dilation.h) && (op.w < o.stride.w || op.w < o.dilation.w), kOp,
      ": option 'output_padding' ", op,
      " must be smaller than either the stride or the dilation in each axis (stride ", o.stride,
      ", dilation ", o.dilation, ")");
}

// (in - 1) * stride - before - after + dilation * (kernel - 1) + output_padding + 1, or -1 when
// that overflows.
int64_t output_extent(int64_t in, int64_t stride, int64_t before, int64_t after, int64_t dilation,
                      int64_t kernel, int64_t output_padding) {
  int64_t span = 0, out = 0;
  if (__builtin_mul_overflow(in - 1, stride, &out) ||
      __builtin_mul_overflow(dilation, kernel - 1, &span) ||
      __builtin_add_overflow(out, span, &out) ||
      __builtin_add_overflow(out, output_padding + 1, &out) ||
      __builtin_sub_overflow(out, before, &out) || __builtin_sub_overflow(out, after, &out))
    return -1;
  return out;
}

// Validates every argument and returns the geometry of the forward convolution from y's space
// to x's space.
Conv2dGeometry check_conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                      const ConvTranspose2dOptions& o) {
  detail::check_rank(x, 4, kOp, "x", "[batch, rows, cols, channels]");
  detail::check_rank(weight, 4, kOp, "weight",
                     "[kernel_rows, kernel_cols, out_channels / groups, in_channels]");
  check_options(o);
  const Shape& xs = x.shape();
  const Shape& ws = weight.shape();
  CNN_CHECK(ws[0] >= 1 && ws[1] >= 1 && ws[2] >= 1 && ws[3] >= 1, kOp,
            ": argument 'weight' must have positive extents, got shape ", to_string(ws));
  CNN_CHECK(xs[1] >= 1 && xs[2] >= 1, kOp,
            ": argument 'x' must have at least one row and col, got shape ", to_string(xs));
  CNN_CHECK(xs[3] == ws[3], kOp, ": x has ", xs[3], " channels but weight of shape ", to_string(ws),
            " expects ", ws[3],
            " (weight is [kernel_rows, kernel_cols, out_channels / groups, in_channels]); x shape ",
            to_string(xs));
  CNN_CHECK(xs[3] % o.groups == 0, kOp, ": x has ", xs[3],
            " channels, not divisible by groups = ", o.groups, " (x shape ", to_string(xs), ")");
  const int64_t out_c = ws[2] * o.groups;
  if (bias.defined()) {
    detail::check_rank(bias, 1, kOp, "bias", "[out_channels]");
    CNN_CHECK(bias.size(0) == out_c, kOp, ": argument 'bias' must have shape [", out_c,
              "] (out_channels = weight's ", ws[2], " x groups = ", o.groups, " for weight ",
              to_string(ws), "), got shape ", to_string(bias.shape()));
  }
  const Pad2d& p = o.padding;
  const int64_t oh =
      output_extent(xs[1], o.stride.h, p.top, p.bottom, o.dilation.h, ws[0], o.output_padding.h);
  const int64_t ow =
      output_extent(xs[2], o.stride.w, p.left, p.right, o.dilation.w, ws[1], o.output_padding.w);
  CNN_CHECK(oh >= 1 && ow >= 1, kOp, ": padding ", p, " crops the whole output of x of shape ",
            to_string(xs), " with kernel ", ws[0], "x", ws[1], ", stride ", o.stride, ", dilation ",
            o.dilation, " and output_padding ", o.output_padding, ": output size would be ", oh,
            "x", ow);
  Conv2dGeometry g = kernels::make_conv2d_geometry({xs[0], oh, ow, out_c}, ws, o.groups, o.stride,
                                                   o.padding, o.dilation);
  // the natural out_h is H + output_padding_h / stride_h: see the comment at the top
  g.out_h = xs[1];
  g.out_w = xs[2];
  return g;
}

// y [pixels, O] += bias per channel.
void add_bias(const Conv2dGeometry& g, const float* bias, float* y) {
  const kernels::GemmEpilogue e{.bias = bias};
  const int64_t pixels = g.batch * g.in_h * g.in_w;
  parallel_for(pixels, 64, [&](int64_t p0, int64_t p1) {
    kernels::apply_gemm_epilogue(e, p0, 0, p1 - p0, g.in_c, y + p0 * g.in_c, g.in_c);
  });
}

}  // namespace

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dOptions& options) {
  const Conv2dGeometry g = check_conv_transpose2d(x, weight, bias, options);
  const Tensor xc = x.contiguous(), wc = weight.contiguous();
  Tensor y = Tensor::empty({g.batch, g.in_h, g.in_w, g.in_c});
  // y = the transposed convolution of x by W: conv's backward data, with x as its dy
  kernels::conv2d_backward_data(g, xc.data(), wc.data(), y.data());
  if (bias.defined()) add_bias(g, bias.contiguous().data(), y.data());

  const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  // dx needs W, dW needs x.
  autograd::record(
      kOp, {x, weight, bias}, {y},
      [g, need_x, need_w, need_b, x_saved = need_w ? xc.detach() : Tensor(),
       w_saved = need_x ? wc.detach() : Tensor()](const TensorList& grads) {
        const Tensor dy = grads[0].contiguous();
        Tensor dx, dw, db;
        if (need_x) {  // dx = conv(dy, W)
          dx = Tensor::empty({g.batch, g.out_h, g.out_w, g.out_c});
          kernels::conv2d_forward(g, dy.data(), w_saved.data(), nullptr, dx.data());
        }
        if (need_w) {  // dW[ky, kx, o, i] = sum over x's pixels of x * Padd(dy) at the tap
          dw = Tensor::empty({g.kernel_h, g.kernel_w, g.group_in(), g.out_c});
          kernels::conv2d_backward_weight(g, dy.data(), x_saved.data(), dw.data());
        }
        if (need_b) db = sum(dy, {0, 1, 2});  // db[o] = sum_{b, oy, ox} dy[b, oy, ox, o]
        return TensorList{dx, dw, db};
      });
  CNN_TRACE(kOp, {x, weight, bias}, {y},
            {{"stride", options.stride},
             {"padding", options.padding},
             {"output_padding", options.output_padding},
             {"dilation", options.dilation},
             {"groups", options.groups}});
  return y;
}

}  // namespace cnn
