#include "formula/ast.h"

#include <cmath>
#include <initializer_list>
#include <sstream>
#include <string_view>
#include <utility>

namespace cnn::formulas {

// ---- Index expressions -------------------------------------------------------------------

IndexPtr index_constant(int64_t value, int column) {
  auto node = std::make_shared<Index>();
  node->op = Index::Op::constant;
  node->value = value;
  node->column = column;
  return node;
}

IndexPtr index_variable(int var, int column) {
  auto node = std::make_shared<Index>();
  node->op = Index::Op::variable;
  node->var = var;
  node->column = column;
  return node;
}

IndexPtr index_add(IndexPtr a, IndexPtr b, int column) {
  if (a->op == Index::Op::constant && b->op == Index::Op::constant) {
    return index_constant(a->value + b->value, column);
  }
  auto node = std::make_shared<Index>();
  node->op = Index::Op::add;
  node->a = std::move(a);
  node->b = std::move(b);
  node->column = column;
  return node;
}

IndexPtr index_scale(int64_t factor, IndexPtr a, int column) {
  if (a->op == Index::Op::constant) return index_constant(factor * a->value, column);
  if (factor == 1) return a;
  auto node = std::make_shared<Index>();
  node->op = Index::Op::scale;
  node->value = factor;
  node->a = std::move(a);
  node->column = column;
  return node;
}

namespace {
int64_t floor_div(int64_t a, int64_t d) {
  const int64_t q = a / d;
  return (a % d != 0 && (a < 0) != (d < 0)) ? q - 1 : q;
}
}  // namespace

IndexPtr index_divide(Index::Op op, IndexPtr a, int64_t divisor, int column) {
  if (a->op == Index::Op::constant && op != Index::Op::exactdiv) {
    const int64_t q = floor_div(a->value, divisor);
    return index_constant(op == Index::Op::floordiv ? q : a->value - q * divisor, column);
  }
  if (divisor == 1 && op != Index::Op::mod) return a;
  auto node = std::make_shared<Index>();
  node->op = op;
  node->value = divisor;
  node->a = std::move(a);
  node->column = column;
  return node;
}

std::optional<Affine> affine_of(const Index& index) {
  switch (index.op) {
    case Index::Op::constant:
      return Affine{.constant = index.value, .coef = {}};
    case Index::Op::variable:
      return Affine{.constant = 0, .coef = {{index.var, 1}}};
    case Index::Op::add: {
      auto a = affine_of(*index.a);
      auto b = affine_of(*index.b);
      if (!a || !b) return std::nullopt;
      a->constant += b->constant;
      for (const auto& [var, c] : b->coef) {
        if ((a->coef[var] += c) == 0) a->coef.erase(var);
      }
      return a;
    }
    case Index::Op::scale: {
      auto a = affine_of(*index.a);
      if (!a) return std::nullopt;
      a->constant *= index.value;
      for (auto& [var, c] : a->coef) c *= index.value;
      if (index.value == 0) a->coef.clear();
      return a;
    }
    default:
      return std::nullopt;
  }
}

IndexPtr index_from_affine(const Affine& affine) {
  IndexPtr result;
  for (const auto& [var, c] : affine.coef) {
    IndexPtr term = index_scale(c, index_variable(var));
    result = result ? index_add(result, term) : term;
  }
  if (!result) return index_constant(affine.constant);
  return affine.constant != 0 ? index_add(result, index_constant(affine.constant)) : result;
}

bool uses_var(const Index& index, int var) {
  if (index.op == Index::Op::variable) return index.var == var;
  if (index.op == Index::Op::extent) return false;
  return (index.a && uses_var(*index.a, var)) || (index.b && uses_var(*index.b, var));
}

void collect_vars(const Index& index, std::vector<int>& vars) {
  if (index.op == Index::Op::extent) return;
  if (index.op == Index::Op::variable) {
    bool seen = false;
    for (int v : vars) seen = seen || v == index.var;
    if (!seen) vars.push_back(index.var);
  }
  if (index.a) collect_vars(*index.a, vars);
  if (index.b) collect_vars(*index.b, vars);
}

// ---- Value expressions ------------------------------------------------------------------

int arity(Fn fn) {
  return fn >= Fn::add ? 2 : 1;
}

const char* fn_name(Fn fn) {
  switch (fn) {
    case Fn::neg:
      return "-";
    case Fn::relu:
      return "relu";
    case Fn::sigmoid:
      return "sigmoid";
    case Fn::tanh:
      return "tanh";
    case Fn::exp:
      return "exp";
    case Fn::log:
      return "log";
    case Fn::sqrt:
      return "sqrt";
    case Fn::abs:
      return "abs";
    case Fn::step:
      return "step";
    case Fn::sign:
      return "sign";
    case Fn::pow:
      return "^";
    case Fn::add:
      return "+";
    case Fn::sub:
      return "-";
    case Fn::mul:
      return "*";
    case Fn::div:
      return "/";
    case Fn::max:
      return "max";
    case Fn::min:
      return "min";
    case Fn::ge:
      return ">=";
    case Fn::lt:
      return "<";
  }
  return "?";
}

const char* reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::sum:
      return "sum";
    case Reduction::mean:
      return "mean";
    case Reduction::max:
      return "max";
    case Reduction::min:
      return "min";
  }
  return "?";
}

ExprPtr number(double value) {
  auto node = std::make_shared<Expr>();
  node->kind = Expr::Kind::number;
  node->number = value;
  return node;
}

ExprPtr read(int tensor, std::vector<IndexPtr> index, int line, int column) {
  auto node = std::make_shared<Expr>();
  node->kind = Expr::Kind::read;
  node->tensor = tensor;
  node->index = std::move(index);
  node->line = line;
  node->column = column;
  return node;
}

ExprPtr call(Fn fn, std::vector<ExprPtr> args, int line, int column) {
  auto node = std::make_shared<Expr>();
  node->kind = Expr::Kind::call;
  node->fn = fn;
  node->args = std::move(args);
  node->line = line;
  node->column = column;
  return node;
}

ExprPtr power(ExprPtr base, double exponent) {
  if (exponent == 1) return base;
  auto node = std::make_shared<Expr>();
  node->kind = Expr::Kind::call;
  node->fn = Fn::pow;
  node->exponent = exponent;
  node->args = {std::move(base)};
  return node;
}

namespace {
bool is_number(const ExprPtr& e, double value) {
  return e->kind == Expr::Kind::number && e->number == value;
}
}  // namespace

ExprPtr multiply(ExprPtr a, ExprPtr b) {
  if (is_number(a, 1)) return b;
  if (is_number(b, 1)) return a;
  if (is_number(a, -1)) return negate(b);
  if (is_number(b, -1)) return negate(a);
  if (a->kind == Expr::Kind::number && b->kind == Expr::Kind::number) {
    return number(a->number * b->number);
  }
  return call(Fn::mul, {std::move(a), std::move(b)});
}

ExprPtr negate(ExprPtr a) {
  if (a->kind == Expr::Kind::number) return number(-a->number);
  if (a->kind == Expr::Kind::call && a->fn == Fn::neg) return a->args[0];
  return call(Fn::neg, {std::move(a)});
}

std::optional<std::pair<const Expr*, const Expr*>> product_of_reads(const Expr& e) {
  if (e.kind != Expr::Kind::call || e.fn != Fn::mul || e.args[0]->kind != Expr::Kind::read ||
      e.args[1]->kind != Expr::Kind::read) {
    return std::nullopt;
  }
  return std::pair{e.args[0].get(), e.args[1].get()};
}

// ---- Printing -------------------------------------------------------------------------------

namespace {

// Appends parts in order (GCC 12 warns, wrongly, of overlapping copies in "literal" + string&&).
std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

struct Printer {
  const std::vector<Var>& vars;
  const std::vector<std::string>* names = nullptr;
  std::map<int, std::string> solved = {};  // a var a derived gradient computes, as its expression

  // Precedence: 0 sum, 1 product, 2 unary minus, 3 power, 4 primary.
  std::string index(const Index& i, int context) const {
    std::string text;
    int level = 4;
    switch (i.op) {
      case Index::Op::constant:
        text = std::to_string(i.value);
        break;
      case Index::Op::variable: {
        const auto found = solved.find(i.var);
        text = found != solved.end() ? found->second : vars.at(i.var).name;
        break;
      }
      case Index::Op::add: {
        level = 0;
        std::string right = index(*i.b, 1);
        if (right.starts_with('-')) {
          text = index(*i.a, 0) + " - " + right.substr(1);
        } else {
          text = index(*i.a, 0) + " + " + right;
        }
        break;
      }
      case Index::Op::scale:
        level = 1;
        text = join({i.value == -1 ? "-" : std::to_string(i.value) + "*", index(*i.a, 2)});
        break;
      case Index::Op::floordiv:
      case Index::Op::exactdiv:
        level = 1;
        text = index(*i.a, 1) + "/" + std::to_string(i.value);
        break;
      case Index::Op::mod:
        level = 1;
        text = index(*i.a, 1) + " % " + std::to_string(i.value);
        break;
      case Index::Op::extent:
        text = join({"dim(", names ? names->at(static_cast<size_t>(i.var)) : std::to_string(i.var),
                     ", ", std::to_string(i.value), ")"});
        break;
    }
    return level < context ? join({"(", text, ")"}) : text;
  }

  std::string indices(const std::vector<IndexPtr>& list) const {
    std::string text = "[";
    for (size_t k = 0; k < list.size(); ++k) text += (k ? ", " : "") + index(*list[k], 0);
    return text + "]";
  }

  std::string expr(const Expr& e, int context) {
    std::string text;
    int level = 4;
    switch (e.kind) {
      case Expr::Kind::number: {
        std::ostringstream out;
        out << e.number;
        text = out.str();
        if (e.number < 0) level = 2;
        break;
      }
      case Expr::Kind::read:
        text = names->at(e.tensor) + indices(e.index);
        break;
      case Expr::Kind::call:
        text = call_text(e, level);
        break;
      case Expr::Kind::reduce: {
        for (const Binding& b : e.bindings) {
          Index rest = *b.rest;
          const std::string from = vars.at(b.from).name;
          std::string numerator = from;
          const auto rest_affine = affine_of(*b.rest);
          if (!(rest_affine && rest_affine->coef.empty() && rest_affine->constant == 0)) {
            std::string r = index(*b.rest, 1);
            numerator += r.starts_with('-') ? " + " + r.substr(1) : " - " + r;
          }
          solved[b.var] = b.divisor == 1 ? (numerator == from ? from : "(" + numerator + ")")
                                         : "(" + numerator + ")/" + std::to_string(b.divisor);
        }
        std::string body = expr(*e.args[0], 0);
        if (e.implicit) {
          text = body;
          level = 0;
        } else {
          text = std::string(reduction_name(e.reduction)) + "(";
          for (size_t k = 0; k < e.vars.size(); ++k)
            text += (k ? ", " : "") + vars.at(e.vars[k]).name;
          text += ": " + body + ")";
        }
        for (const Guard& g : e.guards) {
          text += " where " + vars.at(g.var).name + " = " + index(*g.equals, 0);
        }
        for (const ArgGuard& g : e.arg_guards) {
          text += " at (";
          for (size_t k = 0; k < g.reduced.size(); ++k) {
            text += (k ? ", " : "") + vars.at(g.reduced[k]).name;
          }
          text += ") = the forward pass's arg-extremum";
        }
        break;
      }
    }
    return level < context ? join({"(", text, ")"}) : text;
  }

  std::string call_text(const Expr& e, int& level) {
    switch (e.fn) {
      case Fn::neg:
        level = 2;
        return join({"-", expr(*e.args[0], 3)});
      case Fn::pow: {
        level = 3;
        std::ostringstream out;
        out << expr(*e.args[0], 4) << "^" << e.exponent;
        return out.str();
      }
      case Fn::add:
      case Fn::sub: {
        level = 0;
        std::string right = expr(*e.args[1], e.fn == Fn::sub ? 1 : 0);
        return expr(*e.args[0], 0) + " " + fn_name(e.fn) + " " + right;
      }
      case Fn::mul:
      case Fn::div:
        level = 1;
        return expr(*e.args[0], 1) + (e.fn == Fn::mul ? " * " : " / ") + expr(*e.args[1], 2);
      case Fn::ge:
      case Fn::lt:
        return join({"(", expr(*e.args[0], 0), " ", fn_name(e.fn), " ", expr(*e.args[1], 0), ")"});
      default: {
        std::string text = std::string(fn_name(e.fn)) + "(";
        for (size_t k = 0; k < e.args.size(); ++k) text += (k ? ", " : "") + expr(*e.args[k], 0);
        return text + ")";
      }
    }
  }
};

}  // namespace

std::string print_index(const Index& index, const std::vector<Var>& vars) {
  return Printer{.vars = vars}.index(index, 0);
}

std::string print_expr(const Expr& expr, const std::vector<Var>& vars,
                       const std::vector<std::string>& names) {
  Printer printer{.vars = vars, .names = &names};
  return printer.expr(expr, 0);
}

std::string print_statement(const Statement& statement, const std::vector<std::string>& names) {
  Printer printer{.vars = statement.vars, .names = &names};
  std::string text = names.at(statement.target) + "[";
  for (size_t k = 0; k < statement.left.size(); ++k) {
    text += (k ? ", " : "") + statement.vars.at(statement.left[k]).name;
  }
  text += "] = " + printer.expr(*statement.rhs, 0);
  std::string where;
  for (const auto& [var, bound] : statement.given_ranges) {
    where += (where.empty() ? " where " : ", ") + statement.vars.at(var).name + " < " +
             printer.index(*bound, 0);
  }
  return text + where;
}

}  // namespace cnn::formulas
