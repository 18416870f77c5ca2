// Recursive descent over the grammar of docs/FORMULAS.md ("The language"):
//
//   program   := statement ((';' | newline) statement)*
//   statement := NAME '[' names? ']' '=' expr ('where' NAME '<' index (',' NAME '<' index)*)?
//   expr      := term (('+' | '-') term)*
//   term      := unary (('*' | '/') unary)*
//   unary     := '-' unary | power
//   power     := primary ('^' NUMBER)?
//   primary   := NUMBER | CONSTANT | NAME '[' index (',' index)* ']' | '(' expr ')'
//              | FUNCTION '(' expr (',' expr)? ')' | REDUCTION '(' names ':' expr ')'
//   index     := integer-affine in the indices, with '/' and '%' by positive constants
#include "formula/parser.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "formula/scopes.h"
#include "formula/tokens.h"

namespace cnn::formulas {

void fail_at(const std::string& text, int line, int column, const std::string& message) {
  std::istringstream lines(text);
  std::string quoted;
  for (int k = 0; k < line && std::getline(lines, quoted); ++k) {
  }
  std::ostringstream out;
  out << "formula, line " << line << ", column " << column << ": " << message << "\n  " << quoted
      << "\n  " << std::string(static_cast<size_t>(std::max(column - 1, 0)), ' ') << "^";
  throw FormulaError(out.str(), line, column);
}

namespace {

const std::map<std::string, Fn>& functions() {
  static const std::map<std::string, Fn> table = {
      {"relu", Fn::relu}, {"sigmoid", Fn::sigmoid}, {"tanh", Fn::tanh}, {"exp", Fn::exp},
      {"log", Fn::log},   {"sqrt", Fn::sqrt},       {"abs", Fn::abs},   {"step", Fn::step},
      {"max", Fn::max},   {"min", Fn::min},
  };
  return table;
}

const std::map<std::string, Reduction>& reductions() {
  static const std::map<std::string, Reduction> table = {{"sum", Reduction::sum},
                                                         {"mean", Reduction::mean},
                                                         {"max", Reduction::max},
                                                         {"min", Reduction::min}};
  return table;
}

class Parser {
 public:
  Parser(std::string_view text, const FormulaOptions& options)
      : text_(text), options_(options), tokens_(tokenize(text_)) {
    program_.text = text_;
  }

  Program run() {
    skip_newlines();
    while (peek().kind != Token::Kind::end) {
      statement();
      if (peek().kind == Token::Kind::end) break;
      if (!(accept(";") || peek().kind == Token::Kind::newline)) {
        error(peek(), "expected ';' or a new line after the statement, found " + describe(peek()));
      }
      skip_newlines();
    }
    if (program_.statements.empty()) error(peek(), "the formula has no statement");
    return std::move(program_);
  }

 private:
  // ---- tokens ----
  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(position_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() { return tokens_[std::min(position_++, tokens_.size() - 1)]; }
  bool is(const Token& t, const char* symbol) const {
    return t.kind == Token::Kind::symbol && t.text == symbol;
  }
  bool accept(const char* symbol) {
    if (!is(peek(), symbol)) return false;
    ++position_;
    return true;
  }
  const Token& expect(const char* symbol, const std::string& what) {
    if (!is(peek(), symbol)) {
      error(peek(),
            std::string("expected '") + symbol + "' " + what + ", found " + describe(peek()));
    }
    return next();
  }
  void skip_newlines() {
    while (peek().kind == Token::Kind::newline || is(peek(), ";")) ++position_;
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::end:
        return "the end of the formula";
      case Token::Kind::newline:
        return "the end of the line";
      default:
        return "'" + t.text + "'";
    }
  }
  [[noreturn]] void error(const Token& at, const std::string& message) const {
    fail_at(text_, at.line, at.column, message);
  }

  // ---- statements ----
  void statement() {
    var_ids_.clear();  // each statement has its own indices
    explicitly_reduced_.clear();
    Statement s;
    const Token& name = next();
    if (name.kind != Token::Kind::name) {
      error(name,
            "a statement starts with the name of the tensor it defines, found " + describe(name));
    }
    check_not_reserved(name, "a tensor");
    s.line = name.line;
    s.column = name.column;
    for (const Statement& earlier : program_.statements) {
      if (program_.tensors[earlier.target].name == name.text) {
        error(name, name.text + " is defined twice");
      }
    }
    for (const TensorName& t : program_.tensors) {
      if (t.name == name.text) error(name, name.text + " is read before this statement defines it");
    }
    statement_ = &s;
    s.target = static_cast<int>(program_.tensors.size());
    program_.tensors.push_back(
        TensorName{.name = name.text,
                   .line = name.line,
                   .column = name.column,
                   .defined_by = static_cast<int>(program_.statements.size())});
    expect("[", "after the tensor's name (write Y[] for a scalar)");
    if (!is(peek(), "]")) {
      do {
        const Token& index = next();
        if (index.kind != Token::Kind::name) {
          error(index, "the left side names one index per axis, found " + describe(index));
        }
        check_not_reserved(index, "an index");
        if (options_.constants.contains(index.text)) {
          error(index, index.text + " is a constant; the left side names indices");
        }
        const int var = variable(index);
        for (int v : s.left) {
          if (v == var) error(index, "index " + index.text + " appears twice on the left");
        }
        s.left.push_back(var);
      } while (accept(","));
    }
    expect("]", "to close the left side's indices");
    expect("=", "after the left side");
    s.rhs = expression();
    if (peek().kind == Token::Kind::name && peek().text == "where") {
      next();
      do where_clause(s);
      while (accept(","));
    }
    check_scopes(text_, s);
    s.rhs = make_sums_explicit(text_, s);
    statement_ = nullptr;
    program_.statements.push_back(std::move(s));
  }

  void where_clause(Statement& s) {
    const Token& name = next();
    if (name.kind != Token::Kind::name || !var_ids_.contains(name.text)) {
      error(name, "where names an index of the statement, found " + describe(name));
    }
    expect("<", "after the index in where (the range is 0 <= index < N)");
    const Token& at = peek();
    bound_ = true;
    const IndexPtr bound = index_expression();
    bound_ = false;
    std::vector<int> vars;
    collect_vars(*bound, vars);
    if (!vars.empty()) {
      error(at, "the bound of " + name.text + " must use numbers, constants and dim(T, axis) only");
    }
    if (bound->op == Index::Op::constant && bound->value <= 0) {
      error(at, "the range of " + name.text + " is empty (" + name.text + " < " +
                    std::to_string(bound->value) + ")");
    }
    const int var = var_ids_.at(name.text);
    const auto [it, inserted] = s.given_ranges.emplace(var, bound);
    if (!inserted) {
      const bool same = it->second->op == Index::Op::constant && bound->op == Index::Op::constant &&
                        it->second->value == bound->value;
      if (!same) error(name, "contradictory ranges for " + name.text + ": it is bounded twice");
    }
  }

  int variable(const Token& name) {
    const auto found = var_ids_.find(name.text);
    if (found != var_ids_.end()) return found->second;
    const int id = static_cast<int>(statement_->vars.size());
    statement_->vars.push_back(Var{.name = name.text, .line = name.line, .column = name.column});
    var_ids_.emplace(name.text, id);
    return id;
  }

  void check_not_reserved(const Token& name, const char* what) const {
    if (name.text == "where" || functions().contains(name.text) ||
        reductions().contains(name.text)) {
      error(name, "'" + name.text + "' is a reserved word and cannot name " + what);
    }
  }

  // ---- value expressions ----
  ExprPtr expression() {
    ExprPtr left = term();
    while (is(peek(), "+") || is(peek(), "-")) {
      const Token& op = next();
      left = call(op.text == "+" ? Fn::add : Fn::sub, {left, term()}, op.line, op.column);
    }
    return left;
  }

  ExprPtr term() {
    ExprPtr left = unary();
    while (is(peek(), "*") || is(peek(), "/")) {
      const Token& op = next();
      left = call(op.text == "*" ? Fn::mul : Fn::div, {left, unary()}, op.line, op.column);
    }
    return left;
  }

  ExprPtr unary() {
    if (is(peek(), "-")) {
      const Token& op = next();
      ExprPtr operand = unary();
      if (operand->kind == Expr::Kind::number) return number(-operand->number);
      return call(Fn::neg, {operand}, op.line, op.column);
    }
    ExprPtr base = primary();
    if (is(peek(), "^")) {
      const Token& op = next();
      bool negative = accept("-");
      const Token& exponent = next();
      if (exponent.kind != Token::Kind::number) {
        error(exponent, "the exponent after ^ must be a number, found " + describe(exponent));
      }
      auto node = std::make_shared<Expr>(*power(base, negative ? -exponent.value : exponent.value));
      node->line = op.line;
      node->column = op.column;
      return node;
    }
    return base;
  }

  ExprPtr primary() {
    const Token& t = next();
    if (t.kind == Token::Kind::number) return number(t.value);
    if (is(t, "(")) {
      ExprPtr inner = expression();
      expect(")", "to close '('");
      return inner;
    }
    if (t.kind != Token::Kind::name) error(t, "expected a value, found " + describe(t));
    if (is(peek(), "[")) return tensor_read(t);
    if (is(peek(), "(")) return function_or_reduction(t);
    const auto constant = options_.constants.find(t.text);
    if (constant != options_.constants.end()) return number(constant->second);
    if (var_ids_.contains(t.text)) {
      error(t, "index " + t.text + " used as a value; indices only select elements, inside [ ]");
    }
    error(t, "unknown name '" + t.text +
                 "': a tensor is read with [ ], a function called with ( ), "
                 "and a constant must be given in the options");
  }

  ExprPtr tensor_read(const Token& name) {
    check_not_reserved(name, "a tensor");
    if (options_.constants.contains(name.text)) {
      error(name, name.text + " is a constant, not a tensor");
    }
    if (program_.tensors[statement_->target].name == name.text) {
      error(name, name.text + " is read in its own definition");
    }
    int tensor = -1;
    for (size_t k = 0; k < program_.tensors.size(); ++k) {
      if (program_.tensors[k].name == name.text) tensor = static_cast<int>(k);
    }
    if (tensor < 0) {
      tensor = static_cast<int>(program_.tensors.size());
      program_.tensors.push_back(TensorName{
          .name = name.text, .line = name.line, .column = name.column, .defined_by = -1});
      program_.inputs.push_back(tensor);
    }
    expect("[", "");
    std::vector<IndexPtr> index;
    if (!is(peek(), "]")) {
      do index.push_back(index_expression());
      while (accept(","));
    }
    expect("]", "to close the indices of " + name.text);
    return read(tensor, std::move(index), name.line, name.column);
  }

  bool reduction_ahead() const {
    // NAME (',' NAME)* ':' after the '('
    size_t k = 1;
    while (true) {
      if (peek(k).kind != Token::Kind::name) return false;
      if (is(peek(k + 1), ":")) return true;
      if (!is(peek(k + 1), ",")) return false;
      k += 2;
    }
  }

  ExprPtr function_or_reduction(const Token& name) {
    const auto reduction = reductions().find(name.text);
    if (reduction != reductions().end() && reduction_ahead()) {
      expect("(", "");
      auto node = std::make_shared<Expr>();
      node->kind = Expr::Kind::reduce;
      node->reduction = reduction->second;
      node->line = name.line;
      node->column = name.column;
      do {
        const Token& index = next();
        if (options_.constants.contains(index.text)) {
          error(index, index.text + " is a constant; " + name.text + " reduces over indices");
        }
        const int var = variable(index);
        for (int v : statement_->left) {
          if (v == var)
            error(index, "index " + index.text + " is on the left and cannot be reduced");
        }
        if (explicitly_reduced_.contains(var)) {
          error(index, "index " + index.text + " is reduced twice");
        }
        explicitly_reduced_.insert(var);
        node->vars.push_back(var);
      } while (accept(","));
      expect(":", "after the reduced indices");
      node->args = {expression()};
      expect(")", "to close " + name.text + "(");
      return node;
    }
    const auto fn = functions().find(name.text);
    if (fn == functions().end()) {
      error(name, "unknown function '" + name.text +
                      "' (known: relu, sigmoid, tanh, exp, log, sqrt, abs, step, max, min; "
                      "reductions sum, mean, max, min as sum(i, j: ...))");
    }
    expect("(", "");
    std::vector<ExprPtr> args = {expression()};
    while (accept(",")) args.push_back(expression());
    const Token& close = expect(")", "to close the arguments");
    const int wanted = arity(fn->second);
    if (static_cast<int>(args.size()) != wanted) {
      error(close, name.text + " takes " + std::to_string(wanted) + " argument" +
                       (wanted == 1 ? "" : "s") + ", given " + std::to_string(args.size()));
    }
    return call(fn->second, std::move(args), name.line, name.column);
  }

  // ---- index expressions ----
  // The whole expression is marked with the column where it starts, for the errors about it.
  IndexPtr index_expression() {
    const int start = peek().column;
    IndexPtr whole = index_sum();
    if (whole->column == start) return whole;
    auto marked = std::make_shared<Index>(*whole);
    marked->column = start;
    return marked;
  }

  IndexPtr index_sum() {
    IndexPtr left = index_term();
    while (is(peek(), "+") || is(peek(), "-")) {
      const Token& op = next();
      IndexPtr right = index_term();
      left = index_add(left, op.text == "+" ? right : index_scale(-1, right, op.column), op.column);
    }
    return left;
  }

  IndexPtr index_term() {
    IndexPtr left = index_unary();
    while (is(peek(), "*") || is(peek(), "/") || is(peek(), "%")) {
      const Token& op = next();
      const Token& right_at = peek();
      IndexPtr right = index_unary();
      if (op.text == "*") {
        if (left->op == Index::Op::constant) {
          left = index_scale(left->value, right, op.column);
        } else if (right->op == Index::Op::constant) {
          left = index_scale(right->value, left, op.column);
        } else {
          error(op, "index expression is not affine: one side of * must be a constant");
        }
        continue;
      }
      if (right->op != Index::Op::constant) {
        error(right_at,
              std::string("an index can only be divided by a constant (") + op.text + ")");
      }
      if (right->value == 0) error(right_at, "division by zero in an index expression");
      if (right->value < 0) error(right_at, "an index can only be divided by a positive constant");
      left = index_divide(op.text == "/" ? Index::Op::floordiv : Index::Op::mod, left, right->value,
                          op.column);
    }
    return left;
  }

  IndexPtr index_unary() {
    if (is(peek(), "-")) {
      const Token& op = next();
      return index_scale(-1, index_unary(), op.column);
    }
    const Token& t = next();
    if (is(t, "(")) {
      IndexPtr inner = index_sum();
      expect(")", "to close '('");
      return inner;
    }
    if (t.kind == Token::Kind::number) {
      if (t.value != std::floor(t.value) || std::abs(t.value) > 1e15) {
        error(t, "an index expression uses integers, found " + t.text);
      }
      return index_constant(static_cast<int64_t>(t.value), t.column);
    }
    if (t.kind != Token::Kind::name) error(t, "expected an index, found " + describe(t));
    const auto constant = options_.constants.find(t.text);
    if (constant != options_.constants.end()) {
      const double v = constant->second;
      if (v != std::floor(v) || std::abs(v) > 1e15) {
        error(t, "constant " + t.text + " is used in an index but is not an integer");
      }
      return index_constant(static_cast<int64_t>(v), t.column);
    }
    if (t.text == "dim" && is(peek(), "(")) return extent(t);
    check_not_reserved(t, "an index");
    if (is(peek(), "[") || is(peek(), "(")) {
      error(t, "an index cannot read a tensor or call a function: indices are affine in indices");
    }
    return index_variable(variable(t), t.column);
  }

  // dim(T, axis): the extent of an axis of a tensor the formula reads, in a where bound.
  IndexPtr extent(const Token& at) {
    if (!bound_) error(at, "dim(T, axis) can only bound an index, in a where clause");
    expect("(", "");
    const Token& name = next();
    int tensor = -1;
    for (size_t k = 0; k < program_.tensors.size(); ++k) {
      if (program_.tensors[k].name == name.text && static_cast<int>(k) != statement_->target) {
        tensor = static_cast<int>(k);
      }
    }
    if (tensor < 0)
      error(name, "dim(" + name.text + ", ...): the formula reads no tensor " + name.text);
    expect(",", "after the tensor in dim(T, axis)");
    const Token& axis = next();
    if (axis.kind != Token::Kind::number || axis.value != std::floor(axis.value) ||
        axis.value < 0 || axis.value > 64) {
      error(axis, "dim(T, axis) takes an axis number from 0");
    }
    expect(")", "to close dim(");
    auto node = std::make_shared<Index>();
    node->op = Index::Op::extent;
    node->var = tensor;
    node->value = static_cast<int64_t>(axis.value);
    node->column = at.column;
    return node;
  }

  std::string text_;
  const FormulaOptions& options_;
  std::vector<Token> tokens_;
  size_t position_ = 0;
  Program program_;
  Statement* statement_ = nullptr;
  std::map<std::string, int> var_ids_;  // of the statement being parsed
  std::set<int> explicitly_reduced_;
  bool bound_ = false;  // parsing a where bound: dim(T, axis) is allowed
};

}  // namespace

Program parse(std::string_view text, const FormulaOptions& options) {
  for (const auto& [name, value] : options.constants) {
    if (!std::isfinite(value))
      throw FormulaError("formula: constant " + name + " is not finite", 0, 0);
  }
  Parser parser(text, options);
  return parser.run();
}

}  // namespace cnn::formulas
