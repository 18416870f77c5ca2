// The convolution's forward algorithms with the weight packed once, for prepared inference
// (kernels/conv2d_prepared.h): the same algorithms as conv2d_algorithms.h, each split into
// packing the weight (at preparation) and a forward that reads the packed weight (every call):
//
//   entry      packed weight                                   takes
//   depthwise  the HWIO weight as it is                        groups == C > 1
//   winograd   U = G g G^T for the 36 points, packed as the    3x3 stride 1, one group
//              microkernel reads B
//   winograd2  F(2x2, 3x3): the same for 16 points            3x3 stride 1, one group
//              (measured choice only)
//   direct     [O/16][KH*KW][C][16]: each block of 16 output   AVX-512, one group, C and O
//              channels contiguous                             multiples of 16, stride <= 2
//   gemm       each group's weight as the GEMM's packed B      everything
//
// Packing depends on the weight's shape and the instruction set only, never on the input, so a
// packed weight serves every input shape. Which entry runs a given geometry is chosen by
// measuring them (kernels/conv2d_prepared.h) or, without measuring, by conv2d_packed_default.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "kernels/conv2d_types.h"

namespace cnn::kernels::cpu {

// `scratch` holds at least scratch_floats(g) floats (at num_threads() threads), 64-byte aligned,
// which the forward may overwrite: a prepared model gives every call the same memory.
using Conv2dPackedForwardFn = void (*)(const Conv2dGeometry& g, const float* x, const float* packed,
                                       const float* bias, float* y, const Conv2dEpilogue& epilogue,
                                       float* scratch);

struct Conv2dPackedAlgorithm {
  const char* name;
  Conv2dAppliesFn applies;
  int64_t (*packed_floats)(const Conv2dGeometry& g);
  void (*pack)(const Conv2dGeometry& g, const float* w, float* packed);
  int64_t (*scratch_floats)(const Conv2dGeometry& g);
  Conv2dPackedForwardFn forward;
};

std::span<const Conv2dPackedAlgorithm> conv2d_packed_algorithms();
// The entry named `name`, or null.
const Conv2dPackedAlgorithm* conv2d_packed_algorithm(std::string_view name);
// The entry used without measuring: the unprepared table's choice (conv2d_algorithms.h), with
// the direct kernel also for weights beyond 1 MiB (packed, each output block reads only its own
// part) in place of the implicit GEMM.
const Conv2dPackedAlgorithm& conv2d_packed_default(const Conv2dGeometry& g);

}  // namespace cnn::kernels::cpu
