// Text to expression trees (ast.h), with the lecture's implicit sums made explicit.
#pragma once

#include <string>
#include <string_view>

#include "cnn/formula.h"
#include "formula/ast.h"

namespace cnn::formulas {

Program parse(std::string_view text, const FormulaOptions& options);

// A FormulaError for (line, column) of text: the message, then the line quoted with a caret.
[[noreturn]] void fail_at(const std::string& text, int line, int column,
                          const std::string& message);

}  // namespace cnn::formulas
