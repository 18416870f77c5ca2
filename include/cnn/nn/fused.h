/// \file
/// Inference fusion for models: a convolution, its batch norm, an optional residual and a
/// ReLU/ReLU6 run as one convolution whose kernel epilogue applies the batch norm's per-channel
/// affine, the add and the clamp (cnn::conv2d_bn_act); a convolution followed by a ReLU/ReLU6
/// alone runs with the clamp in its epilogue (cnn::conv2d_act). Only where that changes nothing
/// a caller can see: the batch norm (if any) is in evaluation mode with running statistics, no
/// autograd graph is being built (grad mode off, or nothing involved requires grad), and no
/// ForwardObserver is installed (summaries and activation collection see every module).
/// Otherwise the modules run one by one through operator(), exactly as without fusion, so
/// training, the autograd graph and the outputs of observed passes are unchanged. With a batch
/// norm, fused and unfused outputs differ by rounding only (the batch norm is applied to the
/// unrounded convolution sum); without one they are equal (the clamp meets the same rounded sum).
#pragma once

#include "cnn/nn/containers.h"
#include "cnn/nn/conv.h"
#include "cnn/nn/norm.h"

namespace cnn::nn {

using ConvActivation = cnn::ConvActivation;  ///< none, relu, relu6

/// act(bn(conv(x)) + residual); residual may be undefined.
Tensor conv_bn_act(Conv2d& conv, BatchNorm2d& bn, const Tensor& x,
                   ConvActivation act = ConvActivation::none, const Tensor& residual = Tensor());

/// act(conv(x)), the convolution with its own bias and no batch norm (AlexNet, VGG, SqueezeNet).
Tensor conv_act(Conv2d& conv, const Tensor& x, ConvActivation act);

/// seq(x) + residual (residual may be undefined), where each run of children Conv2d, BatchNorm2d
/// and optionally ReLU or ReLU6 goes through conv_bn_act, each Conv2d followed directly by a
/// ReLU or ReLU6 through conv_act, and children that are plain Sequentials are walked the same
/// way; a residual meets the last child in its epilogue when that child ends a Conv2d,
/// BatchNorm2d run (torchvision's inverted residual blocks), else it is added last.
Tensor sequential_conv_bn_act(Sequential& seq, const Tensor& x, const Tensor& residual = Tensor());

/// act(bn(conv(x)) + shortcut), the end of a residual block, where the shortcut is
/// downsample(identity) (downsample a Sequential of Conv2d, BatchNorm2d as in torchvision's
/// ResNets) or, with downsample null, identity itself. Fused, the shortcut runs first and meets
/// conv's epilogue; while a ForwardObserver watches, the modules run in torchvision's order
/// (conv, bn, then the downsample), so observers see the same calls as for torchvision's block.
Tensor residual_conv_bn_act(Conv2d& conv, BatchNorm2d& bn, const Tensor& x, Sequential* downsample,
                            const Tensor& identity, ConvActivation act = ConvActivation::relu);

}  // namespace cnn::nn
