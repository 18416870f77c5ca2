// Winograd's minimal filtering F(4x4, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016) for 3x3 convolutions with stride 1, dilation 1 and one group.
//
// A 4x4 tile of output pixels needs a 6x6 patch d of the input. For one input channel c and one
// output channel o, the tile's contribution is
//     Y = A^T [ (G g G^T) (.) (B^T d B) ] A          ((.) = elementwise product of 6x6 matrices)
// with g the 3x3 kernel (a correlation, as in the lecture's convolution) and the constant
// matrices B (6x6), G (6x3), A (6x4) of the interpolation points 0, +-1, +-2 and infinity.
// Summed over c, the 36 elementwise products become 36 independent matrix products, one per
// position xi of the 6x6 transform domain:
//     U[xi] [C, O]  = (G g G^T)[xi]        the weight transform, once per call
//     V[xi] [T, C]  = (B^T d B)[xi]         the input transform of T tiles
//     M[xi] [T, O]  = V[xi] * U[xi]         36 GEMMs (kernels::gemm_f32)
//     y tile        = A^T M A               the output transform, with bias and the epilogue
// The GEMMs do 36 multiply-adds per tile per (c, o) where the direct convolution does
// 16 * 9 = 144: a quarter of the arithmetic, at the price of the transforms (linear in C and O,
// not in C * O) and of somewhat larger rounding errors (the transforms multiply by up to 8 and
// divide by 24; the kernel tests bound the error against the reference). The transforms also
// mix a whole 6x6 patch: a NaN or an infinity anywhere in it makes all 16 outputs of its tile
// NaN, where the direct sum would limit it to the outputs that read it (a property of the
// transform, 0 * NaN being NaN; finite inputs are unaffected).
//
// Tiles are processed in blocks small enough that V and M of a block stay in L2; blocks are
// split between threads when there are enough of them, otherwise the GEMMs of one block are.
// Every element is computed in a fixed order for a fixed thread count: results are
// bit-identical run to run.
#pragma once

#include "kernels/conv2d_types.h"

namespace cnn::kernels::cpu {

// 3x3, stride 1, dilation 1, groups 1, at least one output pixel.
bool conv2d_winograd_possible(const Conv2dGeometry& g);
// Where Winograd is also the fastest algorithm on this machine (measured; see the .cpp).
bool conv2d_winograd_applies(const Conv2dGeometry& g);

// y [N, OH, OW, O] = conv(x, w) + bias (may be null), then the epilogue; g must be possible.
void conv2d_forward_winograd(const Conv2dGeometry& g, const float* x, const float* w,
                             const float* bias, float* y, const Conv2dEpilogue& epilogue = {});

// With the weight transformed and packed once (prepared inference,
// kernels/cpu/conv2d_prepared.h): any possible geometry, the transform paid at preparation.
// Few tiles (batch 1 at 14x14 to 28x28) are run all at once, the 36 products split between
// threads, so that each transformed weight is read once per call.
int64_t conv2d_winograd_packed_floats(const Conv2dGeometry& g);
void conv2d_winograd_pack_weight(const Conv2dGeometry& g, const float* w, float* packed);
// V and M, the transformed input and the products (for every thread, at num_threads()).
int64_t conv2d_winograd_packed_scratch_floats(const Conv2dGeometry& g);
void conv2d_forward_winograd_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                    const float* bias, float* y, const Conv2dEpilogue& epilogue,
                                    float* scratch);

// Winograd F(2x2, 3x3) with the weight packed once, for prepared inference only
// (conv2d_winograd2.cpp): 2x2 tiles, 16 products, a transformed weight 16/9 of the weight; for
// images too small for F(4x4, 3x3)'s tiles (batch-1 14x14 maps). Any possible geometry.
int64_t conv2d_winograd2_packed_floats(const Conv2dGeometry& g);
void conv2d_winograd2_pack_weight(const Conv2dGeometry& g, const float* w, float* packed);
int64_t conv2d_winograd2_packed_scratch_floats(const Conv2dGeometry& g);
void conv2d_forward_winograd2_packed(const Conv2dGeometry& g, const float* x, const float* packed,
                                     const float* bias, float* y, const Conv2dEpilogue& epilogue,
                                     float* scratch);

// The stride-1 backward data, the forward convolution of dy by the flipped weight
// (conv2d_backward_data_flipped), where Winograd applies to that convolution's geometry.
bool conv2d_winograd_backward_data_applies(const Conv2dGeometry& g);
void conv2d_backward_data_winograd(const Conv2dGeometry& g, const float* grad_y, const float* w,
                                   float* grad_x);

}  // namespace cnn::kernels::cpu
