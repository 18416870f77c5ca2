// The general loop nest's fast path for contractions (docs/FORMULAS.md, "Execution"):
//
//   Y[o] = sum(k...: A[f(o, k)] * B[g(o, k)])
//
// with every index map affine. A derived gradient's indices solved as `v = p - rest` (a
// shift, the transpose of `p = v + rest`) are substituted into the reads. A read outside its
// tensor, or a solved index outside its range, makes an iteration absent (docs/FORMULAS.md,
// "Reads outside a tensor"): such conditions become bounds, checked once per output point and
// reduction step ("tap"), so that the inner loops run over the valid taps only.
//
// Two register-blocked shapes, both with offsets computed once per tap:
//   columns: the last output index walks B's last axis with stride 1 and A not at all (a
//            locally connected layer, a batched matrix product, a convolution's weight
//            gradient); a block of output rows (an index A reads and B does not) times 16
//            consecutive outputs is kept in registers, loading 16 values of B and broadcasting
//            one value of A per row at each tap.
//   dot:     a reduction index walks both reads with stride 1 (a layer's input gradient, whose
//            last output index is at a large stride in the weight); 16 consecutive values of
//            it are multiplied at once, for a block of consecutive outputs, and each output's
//            16 partial sums are added at the end.
// Reduction order is fixed: results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cnn/shape.h"
#include "formula/ast.h"
#include "formula/evaluate.h"

namespace cnn::formulas {

struct Contraction {
  enum class Kind { columns, dot };
  Kind kind = Kind::columns;
  int a = -1, b = -1;                // tensor ids
  int64_t a_base = 0, b_base = 0;    // offsets at all indices 0
  std::vector<int64_t> k_a, k_b;     // offsets per tap (the reduction, less `depth`'s index)
  int64_t columns = 1;               // range of the last output index
  int64_t col_a = 0, col_b = 0;      // its stride in A and in B (Y's is 1); columns: 0 and 1
  int64_t rows = 1;                  // columns: range of the row index (1 when none)
  int64_t row_a = 0, row_y = 0;      // its stride in A and in Y
  int64_t depth = 1;                 // dot: range of the reduction index at stride 1 in both
  std::vector<int64_t> outer_range;  // the other output indices
  std::vector<int64_t> outer_a, outer_b, outer_y;  // their strides in A, B and Y
  // An iteration is present where every bound's value, constant + outer . coef + tap value,
  // lies in [0, limit). Bounds involve neither the columns, the rows nor the depth.
  struct Bound {
    int64_t constant = 0, limit = 0;
    std::vector<int64_t> outer;  // per outer index
    std::vector<int64_t> taps;   // per tap
  };
  std::vector<Bound> bounds;
};

std::optional<Contraction> plan_contraction(const Loop& loop, const std::vector<Shape>& shapes);
// out = (or +=, with accumulate) the contraction.
void run_contraction(const Contraction& plan, const Buffers& buffers, float* out,
                     bool accumulate = false);

}  // namespace cnn::formulas
