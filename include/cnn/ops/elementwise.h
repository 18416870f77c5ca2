/// \file
/// Elementwise arithmetic with NumPy broadcasting: shapes are aligned at the last dimension
/// and an extent of 1 stretches to match, so an NHWC tensor [N, H, W, C] combines with a
/// per-channel vector [C]. Gradients are summed back over the broadcast dimensions.
#pragma once

#include "cnn/tensor.h"

namespace cnn {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
/// x * scale + shift, with scalars.
Tensor affine(const Tensor& x, float scale, float shift);
Tensor square(const Tensor& x);
Tensor exp(const Tensor& x);
/// Natural log; gradient 1/x.
Tensor log(const Tensor& x);

/// The broadcast shape of a and b; raises cnn::Error naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator-(const Tensor& x) {
  return neg(x);
}
inline Tensor operator+(const Tensor& x, float s) {
  return affine(x, 1.0f, s);
}
inline Tensor operator+(float s, const Tensor& x) {
  return affine(x, 1.0f, s);
}
inline Tensor operator-(const Tensor& x, float s) {
  return affine(x, 1.0f, -s);
}
inline Tensor operator-(float s, const Tensor& x) {
  return affine(x, -1.0f, s);
}
inline Tensor operator*(const Tensor& x, float s) {
  return affine(x, s, 0.0f);
}
inline Tensor operator*(float s, const Tensor& x) {
  return affine(x, s, 0.0f);
}
inline Tensor operator/(const Tensor& x, float s) {
  return affine(x, 1.0f / s, 0.0f);
}

}  // namespace cnn
