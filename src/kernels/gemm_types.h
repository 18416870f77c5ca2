// The GEMM family's shared vocabulary: the epilogue a product applies to its finished tiles
// (kernels/cpu/gemm.h, and the convolution kernels built on it).
#pragma once

#include <cstdint>
#include <limits>

namespace cnn::kernels {

// Applied to C once its sum is complete (after beta), column j of row i, in this order:
//   c = c * scale[j] + bias[j]           (each term only where its pointer is set)
//   c = c + residual[i * ldr + j]        (where residual is set)
//   c = min(max(c, 0), relu_max)         (only when relu; relu_max = +inf is plain ReLU, 6 ReLU6)
// scale and bias together are an inference batch norm folded into the product.
struct GemmEpilogue {
  const float* scale = nullptr;     // [N], may be null
  const float* bias = nullptr;      // [N], may be null
  const float* residual = nullptr;  // [M, ldr], may be null
  int64_t ldr = 0;
  bool relu = false;
  float relu_max = std::numeric_limits<float>::infinity();
  bool empty() const { return scale == nullptr && bias == nullptr && residual == nullptr && !relu; }
};

}  // namespace cnn::kernels
