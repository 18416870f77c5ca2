// The general loop nest's fast path for contractions (docs/FORMULAS.md, "Execution"):
//
//   Y[o] = sum(k...: A[f(o, k)] * B[g(o, k)])
//
// with every index map affine and every read inside its tensor for all index values, and the
// last output index walking B's last axis with stride 1 and A not at all (a locally connected
// layer, a batched matrix product, the weight gradient of a convolution). Each read's offset is
// affine in the indices, so the offsets over the reduction are computed once; the loop nest
// keeps a block of output rows (an index A reads and B does not) times 16 consecutive outputs
// in registers, and for each reduction step loads 16 values of B and broadcasts one value of A
// per row. Reduction order is fixed: results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cnn/shape.h"
#include "formula/ast.h"
#include "formula/evaluate.h"

namespace cnn::formulas {

struct Contraction {
  int a = -1, b = -1;                // tensor ids
  int64_t a_base = 0, b_base = 0;    // offsets at all indices 0
  std::vector<int64_t> k_a, k_b;     // offsets over the flattened reduction
  int64_t columns = 0;               // range of the last output index (B's unit stride)
  int64_t rows = 1;                  // range of the row index (1 when none)
  int64_t row_a = 0, row_y = 0;      // the row index's stride in A and in Y
  std::vector<int64_t> outer_range;  // the other output indices
  std::vector<int64_t> outer_a, outer_b, outer_y;  // their strides in A, B and Y
};

std::optional<Contraction> plan_contraction(const Loop& loop, const std::vector<Shape>& shapes);
// out = (or +=, with accumulate) the contraction.
void run_contraction(const Contraction& plan, const Buffers& buffers, float* out,
                     bool accumulate = false);

}  // namespace cnn::formulas
