/// \file
/// Convolution, the lecture's
/// ```text
///   L'[b, x, y, j] = sum_{dx, dy, i} W[dx, dy, i, j] * Padd(L, p)[b, s*x + d*dx, s*y + d*dy, i] +
///   B[j]
/// ```
/// with stride s, dilation d and G groups (each group of C/G input channels feeds its own
/// O/G output channels). Activations are NHWC, weights HWIO.
#pragma once

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

struct Conv2dOptions {
  Size2 stride = 1;
  Pad2d padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
};

/// x [N, H, W, C], weight [KH, KW, C / groups, O], bias [O] or undefined -> [N, OH, OW, O]
/// with OH = (H + pad_top + pad_bottom - dilation_h * (KH - 1) - 1) / stride_h + 1 (likewise OW).
/// Depthwise convolution is groups == C with weight [KH, KW, 1, K*C] (channel multiplier K).
/// Raises cnn::Error naming the argument and shapes for a wrong rank, channels that do not
/// match weight's in_channels * groups, C or O not divisible by groups, groups < 1, a
/// non-positive stride or dilation, negative padding, a bias not of shape [O], and a kernel
/// that spans more than the padded input (an output size below 1).
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dOptions& options = {});

/// The activation a fused convolution ends with.
enum class ConvActivation { none, relu, relu6 };

/// An inference batch norm over the convolution's O channels, as batch_norm with training off:
/// (v - running_mean) / sqrt(running_var + eps) * gamma + beta.
struct ConvBatchNorm {
  Tensor running_mean, running_var;  ///< [O], required
  Tensor gamma, beta;                ///< [O], or undefined (1 and 0: no affine)
  float eps = 1e-5f;
};

/// Inference only, one pass over the output:
/// ```text
///   y = act(batch_norm(conv2d(x, weight, bias)) + residual)
/// ```
/// with the batch norm applied per output channel as y = conv(x, weight) * s + t,
/// ```text
///   s = gamma / sqrt(running_var + eps),  t = beta + (bias - running_mean) * s,
/// ```
/// computed in double and rounded to float once; residual (like y, or undefined) and act
/// (relu: max(v, 0); relu6: min(max(v, 0), 6)) in the convolution kernel's epilogue. The
/// result differs from the separate ops by rounding only (the batch norm is not applied to a
/// rounded convolution output). Records no backward: raises cnn::Error when grad mode is on
/// and any argument requires grad, as well as conv2d's errors, and on a batch norm tensor not
/// of shape [O] or a residual not of the output's shape.
Tensor conv2d_bn_act(const Tensor& x, const Tensor& weight, const Tensor& bias,
                     const ConvBatchNorm& bn, const Tensor& residual, ConvActivation act,
                     const Conv2dOptions& options = {});

/// Inference only, one pass over the output: y = act(conv2d(x, weight, bias) + residual) with
/// the add and the clamp in the convolution kernel's epilogue, for a convolution with no batch
/// norm after it (AlexNet, VGG, SqueezeNet; imported models whose exporter folded the batch
/// norm into the weights). The clamp meets the same rounded sum conv2d returns, so without a
/// residual the result equals relu / relu6 of conv2d's output value for value (NaN and -0
/// included). With act none and no residual it is conv2d's forward. residual (like y, or
/// undefined). Records no backward: raises cnn::Error when grad mode is on and any argument
/// requires grad, as well as conv2d's errors and on a residual not of the output's shape.
Tensor conv2d_act(const Tensor& x, const Tensor& weight, const Tensor& bias, ConvActivation act,
                  const Conv2dOptions& options = {}, const Tensor& residual = Tensor());

}  // namespace cnn
