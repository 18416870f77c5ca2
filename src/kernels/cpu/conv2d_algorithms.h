// The convolution's algorithms: one ordered table that every choice of algorithm reads (the
// dispatch in kernels/conv2d.cpp, `cnn bench`'s report, the kernel tests). For each pass, the
// first entry that has the pass and whose predicate takes the geometry runs it:
//
//   entry      forward            backward data                     backward weight
//   depthwise  groups == C > 1    same                              same
//   winograd   3x3 stride 1,      stride 1, where Winograd wins     -
//              where it wins      on the transposed geometry
//   direct     AVX-512, C and O   stride 1, direct on the           as forward
//              multiples of 16    transposed geometry too
//   phases     -                  strided, groups 1, >= 16 in       -
//   gemm       everything         everything                        everything
//
// (conv2d_depthwise.h, conv2d_winograd.h, conv2d_direct.h, conv2d_strided.h, conv2d_gemm.h
// state each predicate and why.) The rule for a missing pass: its `run` is null (and so is its
// `applies`); a present pass always has both. The last entry takes every geometry, so a pass is
// never left without an algorithm; the reference kernels stay behind it in the dispatch.
//
// To add an algorithm: write its passes in their own file (the signatures of
// kernels/conv2d_types.h) and put one entry in the table (conv2d_algorithms.cpp) at the place
// where it should win over the entries after it.
#pragma once

#include <span>

#include "kernels/conv2d_types.h"

namespace cnn::kernels::cpu {

template <class Run>
struct Conv2dAlgorithmPass {
  Conv2dAppliesFn applies = nullptr;  // null exactly when run is: the entry lacks this pass
  Run run = nullptr;
};

struct Conv2dAlgorithm {
  const char* name;
  Conv2dAlgorithmPass<Conv2dForwardFn> forward;
  Conv2dAlgorithmPass<Conv2dBackwardDataFn> backward_data;
  Conv2dAlgorithmPass<Conv2dBackwardWeightFn> backward_weight;

  bool has(Conv2dPass pass) const;
  // has(pass) and the pass's predicate takes g.
  bool applies(Conv2dPass pass, const Conv2dGeometry& g) const;
};

// The table, in order of preference.
std::span<const Conv2dAlgorithm> conv2d_algorithms();

// The first entry of the table that applies to `pass` on g (never null for the table as it
// stands; null would leave the pass to the reference kernels).
const Conv2dAlgorithm* conv2d_algorithm_for(Conv2dPass pass, const Conv2dGeometry& g);

// ---- helpers the algorithms share ----

// The stride-1 backward data as the forward convolution of grad_y by the flipped weight, on
// conv2d_transposed_geometry(g) (kernels/conv2d_types.h), run by `forward`. Correct for
// stride 1 and any padding; `forward` must take the transposed geometry.
void conv2d_backward_data_flipped(Conv2dForwardFn forward, const Conv2dGeometry& g,
                                  const float* grad_y, const float* w, float* grad_x);

// The epilogue applied over a finished y [N, OH, OW, O] in place, for kernels that write the
// convolution without one; bias is added here only where given (the kernel may have added it).
void conv2d_apply_epilogue(const Conv2dGeometry& g, const float* bias, float* y,
                           const Conv2dEpilogue& epilogue);

}  // namespace cnn::kernels::cpu
