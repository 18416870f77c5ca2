/// \file
/// A C++ builder for the formula language (cnn/formula.h): the same statements written with
/// C++ operators instead of a string.
///
/// ```text
///   using namespace cnn::formula_builder;
///   const Index b("b"), x("x"), y("y"), j("j"), dx("dx"), dy("dy"), i("i");
///   const TensorRef L("L"), W("W"), B("B"), Y("Y");
///   cnn::Formula conv = build({Y(b, x, y, j) = W(dx, dy, i, j) * L(b, 2*x + dx, 2*y + dy, i) +
///   B(j)});
/// ```
///
/// The builder writes the statements in the notation and the formula's parser reads them, so
/// a built formula is the same expression tree as the text would give, with the same checks
/// (an error's column then points into Formula::to_string()'s spelling of the built text,
/// which the message quotes). Index arithmetic takes integers (`2*x + dx - 1`, `j / n`,
/// `c % g`); values take doubles, tensors reads, the functions below and reductions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cnn/formula.h"

namespace cnn::formula_builder {

namespace detail {
// Appends the parts in order. (Spelled this way rather than "literal" + std::string: GCC 12
// warns, wrongly, of an overlapping copy in that operator, and -Werror users would stop.)
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}
// Precedence, as the parser binds: 0 sum, 1 product, 2 unary minus, 3 power, 4 primary.
inline std::string wrap(const std::string& text, int level, int context) {
  return level < context ? cat("(", text, ")") : text;
}
inline std::string number(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}
}  // namespace detail

/// An index, or an integer-affine expression of indices.
class Index {
 public:
  explicit Index(std::string name) : text_(std::move(name)) {}
  Index(std::string text, int level) : text_(std::move(text)), level_(level) {}
  const std::string& text() const { return text_; }
  int level() const { return level_; }
  std::string in(int context) const { return detail::wrap(text_, level_, context); }

 private:
  std::string text_;
  int level_ = 4;
};

inline Index operator+(const Index& a, const Index& b) {
  return {detail::cat(a.in(0), " + ", b.in(1)), 0};
}
inline Index operator-(const Index& a, const Index& b) {
  return {detail::cat(a.in(0), " - ", b.in(1)), 0};
}
inline Index operator+(const Index& a, int64_t c) {
  return {detail::cat(a.in(0), " + ", std::to_string(c)), 0};
}
inline Index operator-(const Index& a, int64_t c) {
  return {detail::cat(a.in(0), " - ", std::to_string(c)), 0};
}
inline Index operator*(int64_t c, const Index& a) {
  return {detail::cat(std::to_string(c), "*", a.in(2)), 1};
}
inline Index operator*(const Index& a, int64_t c) {
  return c * a;
}
/// Floor division and modulo by a positive constant.
inline Index operator/(const Index& a, int64_t c) {
  return {detail::cat(a.in(1), "/", std::to_string(c)), 1};
}
inline Index operator%(const Index& a, int64_t c) {
  return {detail::cat(a.in(1), " % ", std::to_string(c)), 1};
}

/// A value: a number, a tensor read, arithmetic, a function or a reduction.
class Value {
 public:
  Value(double v) : text_(detail::number(v)), level_(v < 0 ? 2 : 4) {}  // NOLINT: 2.0 * x
  Value(std::string text, int level) : text_(std::move(text)), level_(level) {}
  const std::string& text() const { return text_; }
  std::string in(int context) const { return detail::wrap(text_, level_, context); }

 private:
  std::string text_;
  int level_;
};

inline Value operator+(const Value& a, const Value& b) {
  return {detail::cat(a.in(0), " + ", b.in(0)), 0};
}
inline Value operator-(const Value& a, const Value& b) {
  return {detail::cat(a.in(0), " - ", b.in(1)), 0};
}
inline Value operator*(const Value& a, const Value& b) {
  return {detail::cat(a.in(1), " * ", b.in(2)), 1};
}
inline Value operator/(const Value& a, const Value& b) {
  return {detail::cat(a.in(1), " / ", b.in(2)), 1};
}
inline Value operator-(const Value& a) {
  return {detail::cat("-", a.in(3)), 2};
}
inline Value pow(const Value& a, double exponent) {
  return {detail::cat(a.in(4), "^", detail::number(exponent)), 3};
}

#define CNN_FORMULA_FUNCTION(name)                     \
  inline Value name(const Value& a) {                  \
    return {detail::cat(#name "(", a.text(), ")"), 4}; \
  }
CNN_FORMULA_FUNCTION(relu)
CNN_FORMULA_FUNCTION(sigmoid)
CNN_FORMULA_FUNCTION(tanh)
CNN_FORMULA_FUNCTION(exp)
CNN_FORMULA_FUNCTION(log)
CNN_FORMULA_FUNCTION(sqrt)
CNN_FORMULA_FUNCTION(abs)
CNN_FORMULA_FUNCTION(step)
#undef CNN_FORMULA_FUNCTION
inline Value max(const Value& a, const Value& b) {
  return {detail::cat("max(", a.text(), ", ", b.text(), ")"), 4};
}
inline Value min(const Value& a, const Value& b) {
  return {detail::cat("min(", a.text(), ", ", b.text(), ")"), 4};
}

namespace detail {
inline Value reduce(const char* op, std::initializer_list<Index> over, const Value& body) {
  std::string text = cat(op, "(");
  bool first = true;
  for (const Index& i : over) {
    text.append(first ? "" : ", ").append(i.text());
    first = false;
  }
  return {cat(text, ": ", body.text(), ")"), 4};
}
}  // namespace detail

/// Explicit reductions over the named indices (an index not on the left is also summed
/// implicitly, as in the text).
inline Value sum(std::initializer_list<Index> over, const Value& body) {
  return detail::reduce("sum", over, body);
}
inline Value mean(std::initializer_list<Index> over, const Value& body) {
  return detail::reduce("mean", over, body);
}
inline Value reduce_max(std::initializer_list<Index> over, const Value& body) {
  return detail::reduce("max", over, body);
}
inline Value reduce_min(std::initializer_list<Index> over, const Value& body) {
  return detail::reduce("min", over, body);
}

/// A statement: `Y(b, x) = ...`, with optional ranges `.where(x, 28)`.
class Statement {
 public:
  Statement(std::string left, std::string right)
      : left_(std::move(left)), right_(std::move(right)) {}
  /// index < bound (a left index's range asks for padding; docs/FORMULAS.md, "Ranges").
  Statement& where(const Index& index, int64_t bound) {
    where_.append(where_.empty() ? " where " : ", ").append(index.text()).append(" < ");
    where_.append(std::to_string(bound));
    return *this;
  }
  std::string text() const { return detail::cat(left_, " = ", right_, where_); }

 private:
  std::string left_, right_, where_;
};

/// The left side of a statement, or a read when used as a value.
class Access {
 public:
  Access(std::string text) : text_(std::move(text)) {}  // NOLINT
  operator Value() const { return {text_, 4}; }         // NOLINT: a read is a value
  // `Y(b, j) = value` reads as the lecture's statement; it makes one, it assigns nothing.
  Statement operator=(const Value& rhs) const {  // NOLINT(misc-unconventional-assign-operator)
    return {text_, rhs.text()};
  }
  // Y(b, j) = L(b, j): a read on the right (this replaces the copy assignment).
  Statement operator=(const Access& rhs) const {  // NOLINT(misc-unconventional-assign-operator)
    return {text_, rhs.text_};
  }
  Access(const Access&) = default;
  Value operator+(const Value& b) const { return Value(*this) + b; }
  Value operator-(const Value& b) const { return Value(*this) - b; }
  Value operator*(const Value& b) const { return Value(*this) * b; }
  Value operator/(const Value& b) const { return Value(*this) / b; }

 private:
  std::string text_;
};

namespace detail {
inline std::string index_text(const Index& i) {
  return i.text();
}
inline std::string index_text(int64_t constant) {
  return std::to_string(constant);
}
}  // namespace detail

/// A tensor, read (or defined) by calling it with one index expression (or integer) per axis.
class TensorRef {
 public:
  explicit TensorRef(std::string name) : name_(std::move(name)) {}
  template <class... Indices>
  Access operator()(const Indices&... indices) const {
    std::string text = detail::cat(name_, "[");
    bool first = true;
    ((text.append(first ? "" : ", ").append(detail::index_text(indices)), first = false), ...);
    return Access(detail::cat(text, "]"));
  }

 private:
  std::string name_;
};

/// The statements in order, as text.
inline std::string text_of(std::initializer_list<Statement> statements) {
  std::string text;
  for (const Statement& s : statements) text.append(text.empty() ? "" : "\n").append(s.text());
  return text;
}

/// The formula of `statements`, in order; the last one is the result.
inline Formula build(std::initializer_list<Statement> statements,
                     const FormulaOptions& options = {}) {
  return Formula(text_of(statements), options);
}

}  // namespace cnn::formula_builder
