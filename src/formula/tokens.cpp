#include "formula/tokens.h"

#include <cctype>
#include <stdexcept>

#include "formula/parser.h"

namespace cnn::formulas {

std::vector<Token> tokenize(const std::string& text) {
  std::vector<Token> tokens;
  int line = 1, column = 1, depth = 0;
  size_t k = 0;
  auto advance = [&](size_t n) {
    k += n;
    column += static_cast<int>(n);
  };
  while (k < text.size()) {
    const char c = text[k];
    Token token{
        .kind = Token::Kind::symbol, .text = {}, .value = 0, .line = line, .column = column};
    if (c == '\n') {
      if (depth == 0) {
        token.kind = Token::Kind::newline;
        tokens.push_back(token);
      }
      ++k;
      ++line;
      column = 1;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      advance(1);
      continue;
    }
    if (c == '#') {
      while (k < text.size() && text[k] != '\n') ++k;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = k;
      while (end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
        ++end;
      }
      while (end < text.size() && text[end] == '\'') ++end;
      token.kind = Token::Kind::name;
      token.text = text.substr(k, end - k);
      tokens.push_back(token);
      advance(end - k);
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && k + 1 < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[k + 1])))) {
      size_t end = k;
      while (end < text.size() &&
             (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) {
        ++end;
      }
      if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
        size_t e = end + 1;
        if (e < text.size() && (text[e] == '+' || text[e] == '-')) ++e;
        if (e < text.size() && std::isdigit(static_cast<unsigned char>(text[e]))) {
          end = e;
          while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
        }
      }
      token.kind = Token::Kind::number;
      token.text = text.substr(k, end - k);
      try {
        size_t used = 0;
        token.value = std::stod(token.text, &used);
        if (used != token.text.size()) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        fail_at(text, line, column, "'" + token.text + "' is not a number");
      }
      tokens.push_back(token);
      advance(end - k);
      continue;
    }
    static const std::string symbols = "[](),:;=+-*/%^<";
    if (symbols.find(c) == std::string::npos) {
      fail_at(text, line, column, std::string("unexpected character '") + c + "'");
    }
    if (c == '[' || c == '(') ++depth;
    if ((c == ']' || c == ')') && depth > 0) --depth;
    token.text = std::string(1, c);
    tokens.push_back(token);
    advance(1);
  }
  tokens.push_back(
      Token{.kind = Token::Kind::end, .text = {}, .value = 0, .line = line, .column = column});
  return tokens;
}

}  // namespace cnn::formulas
