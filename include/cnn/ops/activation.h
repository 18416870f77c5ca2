/// \file
/// Activation functions (the lecture's sigma) and dropout.
#pragma once

#include "cnn/generator.h"
#include "cnn/tensor.h"

namespace cnn {

/// At the kinks the gradient follows PyTorch: relu'(0) = 0, relu6'(0) = relu6'(6) = 0,
/// leaky_relu'(0) = negative_slope.
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// ONNX's Clip, PyTorch's torch.clamp with both bounds: y = min(max(x, lo), hi). lo may be
/// -inf and hi +inf (a missing bound); lo > hi gives hi everywhere, as PyTorch. A NaN in x
/// passes through; NaN bounds raise cnn::Error. Gradient 1 where lo <= x <= hi (inclusive, as
/// PyTorch), 0 elsewhere and at a NaN.
Tensor clamp(const Tensor& x, float lo, float hi);
/// Parametric ReLU: y = x > 0 ? x : slope * x, with `slope` broadcast to x's shape by NumPy's
/// rules (NHWC: [C] for one slope per channel, [1] for one for all). Gradients:
/// dx = x > 0 ? dy : slope * dy, and dslope sums x * dy over the cells with x <= 0 (and over
/// the broadcast dimensions), as PyTorch's F.prelu.
Tensor prelu(const Tensor& x, const Tensor& slope);
/// y = max(0, min(1, alpha * x + beta)). The defaults are PyTorch's F.hardsigmoid (x + 3) / 6;
/// ONNX's HardSigmoid defaults to alpha 0.2. Gradient alpha where 0 < alpha * x + beta < 1
/// (strictly, as PyTorch), 0 elsewhere. alpha and beta must be finite.
Tensor hardsigmoid(const Tensor& x, float alpha = 1.0f / 6.0f, float beta = 0.5f);
/// y = x * min(max(x + 3, 0), 6) / 6 (MobileNet v3). Gradient 0 for x < -3, 1 for x >= 3 and
/// (2x + 3) / 6 between, -3 included; a NaN x gets a NaN gradient (PyTorch 1.13's vectorized
/// kernel; see kernels/ref/activation_ref.h).
Tensor hardswish(const Tensor& x);
/// Along `dim` (negative counts from the end), stabilized by subtracting the maximum.
Tensor softmax(const Tensor& x, int64_t dim = -1);
Tensor log_softmax(const Tensor& x, int64_t dim = -1);
/// In training, zeroes each element with probability p and scales the rest by 1 / (1 - p);
/// the identity (x itself) in evaluation or for p = 0. p must lie in [0, 1). The mask comes
/// from `gen`, one draw per element in order, and the backward pass reuses it.
Tensor dropout(const Tensor& x, float p, bool training, Generator& gen);

}  // namespace cnn
