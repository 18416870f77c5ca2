/// \file
/// The lecture's fully connected layer: y[b, j] = sum_i W[j, i] x[b, i] + B[j].
#pragma once

#include "cnn/tensor.h"

namespace cnn {

/// x [N, in], weight [out, in] (the lecture's W[j, i'], PyTorch's layout), bias [out] or
/// undefined -> [N, out]. Like PyTorch's F.linear, x may also be [..., in] (any rank >= 1):
/// the leading dimensions are kept, [..., in] -> [..., out]. Flatten an NHWC activation
/// L[b, x, y, i] to [N, H*W*C] first for the lecture's L[b, i'].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace cnn
