// Which convolutions the direct kernels take, and the backward data through the forward one.
// (This file is compiled for any x86-64; the AVX-512 bodies live in avx512/.)
#include "kernels/cpu/conv2d_direct.h"

#include "kernels/cpu/conv2d_algorithms.h"
#include "kernels/cpu/isa.h"

namespace cnn::kernels::cpu {

// The direct kernels read the whole weight once per tile (a row segment, or a few whole rows,
// of one image); the GEMM packs it once per call. Weights beyond 1 MiB (the L2 of one core)
// stream from L3 for every tile, so those convolutions go to the GEMM (measured: 512 channels
// at 7x7, batch 16, 62-105 GFLOP/s direct against 172 through the GEMM).
constexpr int64_t kDirectMaxWeightBytes = int64_t{1} << 20;

bool conv2d_direct_applies(const Conv2dGeometry& g) {
  // A 1x1, stride-1, unpadded convolution is a GEMM on the input as it lies, with nothing to
  // copy or pack per pixel: the GEMM is faster there (measured: 64->64 at 56x56, 199-256
  // GFLOP/s against 135-202 direct).
  return kernel_isa() == Isa::avx512 && !conv2d_is_pointwise(g) && g.groups == 1 &&
         g.in_c % 16 == 0 && g.out_c % 16 == 0 && g.stride_w >= 1 && g.stride_w <= 2 &&
         g.stride_h >= 1 && g.batch * g.out_h * g.out_w > 0 &&
         g.kernel_h * g.kernel_w * g.in_c * g.out_c * 4 <= kDirectMaxWeightBytes;
}

bool conv2d_direct_packed_applies(const Conv2dGeometry& g) {
  // 1 to 4 input channels (an image's first layer) take a kernel of their own, without the
  // channel-blocked copy, for dilation 1 (a kernel row is then KW*C consecutive values)
  const bool few = g.in_c <= 4 && g.dilation_h == 1 && g.dilation_w == 1;
  return kernel_isa() == Isa::avx512 && g.groups == 1 && (g.in_c % 16 == 0 || few) &&
         g.out_c % 16 == 0 && g.stride_w >= 1 && g.stride_w <= 2 && g.stride_h >= 1 &&
         g.batch * g.out_h * g.out_w > 0;
}

int64_t conv2d_direct_packed_floats(const Conv2dGeometry& g) {
  return g.kernel_h * g.kernel_w * g.in_c * g.out_c;
}

void conv2d_direct_pack_weight(const Conv2dGeometry& g, const float* w, float* packed) {
  avx512::conv2d_direct_pack_weight(g, w, packed);
}

int64_t conv2d_direct_packed_scratch_floats(const Conv2dGeometry& g) {
  return avx512::conv2d_direct_packed_scratch_floats(g);
}

void conv2d_forward_direct_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                  const float* bias, float* y, const Conv2dEpilogue& epilogue,
                                  float* scratch) {
  avx512::conv2d_forward_direct_packed(g, x, packed, bias, y, epilogue, scratch);
}

bool conv2d_direct_backward_data_applies(const Conv2dGeometry& g) {
  return conv2d_direct_applies(g) && g.stride_h == 1 && g.stride_w == 1 &&
         conv2d_direct_applies(conv2d_transposed_geometry(g));
}

void conv2d_forward_direct(const Conv2dGeometry& g, const float* x, const float* w,
                           const float* bias, float* y, const Conv2dEpilogue& epilogue) {
  avx512::conv2d_forward_direct(g, x, w, bias, y, epilogue);
}

void conv2d_backward_data_direct(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                 float* grad_x) {
  conv2d_backward_data_flipped(conv2d_forward_direct, g, grad_y, w, grad_x);
}

void conv2d_backward_weight_direct(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                   float* grad_w) {
  avx512::conv2d_backward_weight_direct(g, x, grad_y, grad_w);
}

}  // namespace cnn::kernels::cpu
