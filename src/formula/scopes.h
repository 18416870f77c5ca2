// The checks and rewrites a parsed statement goes through before analysis.
#pragma once

#include <string>

#include "formula/ast.h"

namespace cnn::formulas {

// Left indices must be used on the right (or given a range), indices given a range must be
// used, reduced indices must be used inside their reduction, and no reduction may sit inside
// another. Raises FormulaError at the offending index in `text`.
void check_scopes(const std::string& text, const Statement& s);

// The lecture's convention: an index on the right and not on the left is summed over, in the
// smallest term (the whole right side, an operand of + or -, a function's argument, a
// reduction's body) that holds all its uses. Returns the right side with those sums explicit.
ExprPtr make_sums_explicit(const std::string& text, const Statement& s);

}  // namespace cnn::formulas
