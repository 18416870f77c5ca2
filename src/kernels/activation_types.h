// The pointwise activations the activation family's kernels compute (formulas:
// kernels/ref/activation_ref.h).
#pragma once

namespace cnn::kernels {

enum class Activation { relu, relu6, leaky_relu, sigmoid, tanh };

}  // namespace cnn::kernels
