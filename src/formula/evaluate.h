// The general loop nest: runs any analyzed statement (a Loop) over dense float32 tensors.
#pragma once

#include <cstdint>
#include <vector>

#include "cnn/shape.h"
#include "formula/ast.h"

namespace cnn::formulas {

struct Buffers {
  std::vector<const float*> data;      // per tensor id (contiguous, row-major)
  std::vector<Shape> shapes;           // per tensor id
  std::vector<const int64_t*> tables;  // arg-extremum tables (ArgGuard::table)
};

// Where the forward pass keeps, per output position, each reduction's value and the position
// of the winning iteration of a max or min (both optional, per reduction in reductions_of order).
struct Saves {
  std::vector<float*> values;
  std::vector<int64_t*> winners;
};

// The reductions of a statement's right side, outermost first in reading order.
std::vector<const Expr*> reductions_of(const Expr& rhs);

// out[p] (= or +=) the right side at every position p of the left side's ranges, in parallel
// over p; each position's sums run in a fixed order, so results do not depend on threads.
void run(const Loop& loop, const Buffers& buffers, float* out, bool accumulate,
         const Saves* saves = nullptr);

}  // namespace cnn::formulas
