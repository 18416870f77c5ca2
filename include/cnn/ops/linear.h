// The lecture's fully connected layer: y[b, j] = sum_i W[j, i] x[b, i] + B[j].
#pragma once

#include "cnn/tensor.h"

namespace cnn {

// x [N, in], weight [out, in] (the lecture's W[j, i'], PyTorch's layout), bias [out] or
// undefined -> [N, out].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace cnn
