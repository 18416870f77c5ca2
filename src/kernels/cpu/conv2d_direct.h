// Direct convolution for channel counts that are multiples of 16, on AVX-512 (the blocked
// scheme of oneDNN's NHWC kernels, written with intrinsics and templates instead of a JIT).
// The implicit GEMM (conv2d_gemm.h) must repack every receptive field into the GEMM's panels;
// when the output has few channels (ResNet-20's 16, 32, 64) that repacking costs more than the
// multiply-adds. Here nothing is packed:
//
//   - the input is copied once into a zero-padded, channel-blocked image
//     xb[b][C/16][Hp][Wp][16], so that pixel r of a row segment sits at a fixed distance
//     r*S*16 floats from the first, whatever C is;
//   - a tile of up to 28 output pixels of one row x 16*OB output channels stays in zmm
//     registers; for each (input block, ky, kx, channel c) one vector of the HWIO weight
//     (16 output channels) is loaded and each pixel's input value is broadcast from memory
//     into the FMA, at a displacement known at compile time;
//   - the epilogue (scale, bias, residual, clamped ReLU) is applied as the tile is stored.
//
// Backward data with stride 1 is the forward convolution of dy by the flipped weight
// (conv2d_backward_data_flipped, kernels/cpu/conv2d_algorithms.h); backward weight keeps a
// 16x16 block of dW in registers and sweeps every output pixel:
// dW[ky, kx, c, o] += x[pixel + tap, c] * dy[pixel, o].
//
// Every output element is computed by one thread in a fixed order: results are
// bit-identical run to run.
#pragma once

#include "kernels/conv2d_types.h"

namespace cnn::kernels::cpu {

// groups 1, C and O multiples of 16, stride 1 or 2 across, a weight of at most 1 MiB, not a
// 1x1 stride-1 unpadded convolution (a plain GEMM on the input), and kernel_isa() AVX-512
// (kernels/cpu/isa.h: CNN_ISA=avx2 turns these off).
bool conv2d_direct_applies(const Conv2dGeometry& g);
// The stride-1 backward data through the forward kernel (conv2d_backward_data_flipped), when
// the forward kernel takes both g and its transposed geometry.
bool conv2d_direct_backward_data_applies(const Conv2dGeometry& g);

void conv2d_forward_direct(const Conv2dGeometry& g, const float* x, const float* w,
                           const float* bias, float* y, const Conv2dEpilogue& epilogue = {});

// With the weight packed once (prepared inference, kernels/cpu/conv2d_prepared.h): the
// convolutions of conv2d_direct_applies of any weight size (each block of 16 output channels
// reads its own contiguous part of the packed weight), 1x1 stride-1 ones included.
bool conv2d_direct_packed_applies(const Conv2dGeometry& g);
int64_t conv2d_direct_packed_floats(const Conv2dGeometry& g);
void conv2d_direct_pack_weight(const Conv2dGeometry& g, const float* w, float* packed);
// The copy of the input the kernel reads (channel-blocked, or zero-padded for few channels).
int64_t conv2d_direct_packed_scratch_floats(const Conv2dGeometry& g);
void conv2d_forward_direct_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                  const float* bias, float* y, const Conv2dEpilogue& epilogue,
                                  float* scratch);
void conv2d_backward_data_direct(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                 float* grad_x);
void conv2d_backward_weight_direct(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                   float* grad_w);

}  // namespace cnn::kernels::cpu

namespace cnn::kernels::cpu::avx512 {

// The AVX-512 bodies (src/kernels/cpu/avx512/conv2d_direct_avx512.cpp); call only where
// conv2d_direct_applies.
void conv2d_forward_direct(const Conv2dGeometry& g, const float* x, const float* w,
                           const float* bias, float* y, const Conv2dEpilogue& epilogue);
void conv2d_backward_weight_direct(const Conv2dGeometry& g, const float* x, const float* grad_y,
                                   float* grad_w);
// The weight packed as [O/16][KH*KW][C][16] (each block of 16 output channels contiguous), and
// the forward reading it; call only where conv2d_direct_packed_applies.
void conv2d_direct_pack_weight(const Conv2dGeometry& g, const float* w, float* packed);
int64_t conv2d_direct_packed_scratch_floats(const Conv2dGeometry& g);
void conv2d_forward_direct_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                  const float* bias, float* y, const Conv2dEpilogue& epilogue,
                                  float* scratch);

}  // namespace cnn::kernels::cpu::avx512
