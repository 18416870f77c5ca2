// The formula text as tokens: names (letters, digits, '_', trailing primes), numbers, the
// symbols of the grammar, and new lines outside brackets (they end statements; inside [ ] and
// ( ) a statement may run over several lines). '#' starts a comment.
#pragma once

#include <string>
#include <vector>

namespace cnn::formulas {

struct Token {
  enum class Kind { name, number, symbol, newline, end };
  Kind kind = Kind::end;
  std::string text;
  double value = 0;
  int line = 1, column = 1;
};

// Raises FormulaError (fail_at) at an unexpected character or a malformed number.
std::vector<Token> tokenize(const std::string& text);

}  // namespace cnn::formulas
