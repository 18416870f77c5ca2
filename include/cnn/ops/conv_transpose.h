/// \file
/// Transposed convolution (PyTorch's ConvTranspose2d, ONNX's ConvTranspose): the adjoint of
/// conv2d, each input pixel scattering a weighted copy of the kernel into the output:
/// ```text
///   y[b, s*h + d*ky - pad_top, s*w + d*kx - pad_left, g*OG + o] += x[b, h, w, g*CG + i]
///                                                                 * W[ky, kx, o, g*CG + i]
/// ```
/// plus bias[g*OG + o], with stride s, dilation d, G groups (CG = C/G input channels feed
/// OG = O/G output channels), and positions outside the output dropped. Equivalently, it is the
/// backward data of the conv2d with the same options that maps y's space back to x's space.
/// Activations are NHWC; the weight is that forward convolution's HWIO weight.
#pragma once

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

struct ConvTranspose2dOptions {
  Size2 stride = 1;
  Pad2d padding = 0;         ///< cropped from the full output, per side
  Size2 output_padding = 0;  ///< extra rows (cols) at the bottom (right) of the output
  Size2 dilation = 1;
  int64_t groups = 1;
};

/// x [N, H, W, C], weight [KH, KW, O / groups, C], bias [O] or undefined -> [N, OH, OW, O] with
/// ```text
///   OH = (H - 1) * stride_h - pad_top - pad_bottom + dilation_h * (KH - 1) + output_padding_h + 1
/// ```
/// (likewise OW): PyTorch's rule, with the padding allowed to differ per side. The weight is
/// PyTorch's ConvTranspose2d weight (C, O / groups, KH, KW) permuted (2, 3, 1, 0).
/// output_padding must be below the stride or the dilation (per axis), as PyTorch requires.
/// Raises cnn::Error naming the argument and shapes for a wrong rank, x's channels not equal to
/// weight's last extent, C not divisible by groups, groups < 1, a non-positive stride or
/// dilation, negative padding or output_padding, an output_padding too large, a bias not of
/// shape [O], an empty weight or image, and an output size below 1.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        const ConvTranspose2dOptions& options = {});

}  // namespace cnn
