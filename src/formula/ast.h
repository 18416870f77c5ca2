// The expression trees of a formula (cnn/formula.h): index expressions, value expressions and
// statements. Trees are immutable and shared; the parser builds them, the analysis gives each
// index its range, derive.cpp builds the gradient statements from them, and evaluate.cpp runs
// any statement.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cnn::formulas {

// ---- Index expressions: integers computed from the indices in scope -------------------------

struct Index;
using IndexPtr = std::shared_ptr<const Index>;

struct Index {
  enum class Op {
    constant,  // value
    variable,  // var
    add,       // a + b
    scale,     // value * a
    floordiv,  // floor(a / value), value > 0
    mod,       // a mod value in [0, value), value > 0
    exactdiv,  // a / value where exact; absent otherwise (only in derived gradients)
    extent,    // the extent of axis `value` of tensor `var` (only in where bounds: dim(L, 1))
  };
  Op op = Op::constant;
  int64_t value = 0;
  int var = -1;
  IndexPtr a, b;
  int column = 0;  // where the text wrote it (0 for derived trees)
};

IndexPtr index_constant(int64_t value, int column = 0);
IndexPtr index_variable(int var, int column = 0);
IndexPtr index_add(IndexPtr a, IndexPtr b, int column = 0);
IndexPtr index_scale(int64_t factor, IndexPtr a, int column = 0);
IndexPtr index_divide(Index::Op op, IndexPtr a, int64_t divisor, int column = 0);

// constant + sum(coef[v] * v): the form the range inference and the gradient's solver read.
struct Affine {
  int64_t constant = 0;
  std::map<int, int64_t> coef;  // var -> nonzero coefficient
};
std::optional<Affine> affine_of(const Index& index);
IndexPtr index_from_affine(const Affine& affine);
bool uses_var(const Index& index, int var);
void collect_vars(const Index& index, std::vector<int>& vars);

// ---- Value expressions -----------------------------------------------------------------------

enum class Fn {
  // one argument
  neg,
  relu,
  sigmoid,
  tanh,
  exp,
  log,
  sqrt,
  abs,
  step,
  sign,
  pow,  // pow: args[0] ^ exponent
  // two arguments
  add,
  sub,
  mul,
  div,
  max,
  min,
  ge,  // 1 where a >= b, else 0 (the derivative of max)
  lt,  // 1 where a < b, else 0
};
int arity(Fn fn);
const char* fn_name(Fn fn);

enum class Reduction { sum, mean, max, min };
const char* reduction_name(Reduction reduction);

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

// A derived gradient sums over the indices it could not solve for; each iteration first
// computes the solved ones: var = (from - rest) / divisor where exact (absent otherwise).
struct Binding {
  int var = -1;
  int from = -1;  // the gradient's own index (a var) that the read's axis must equal
  IndexPtr rest;  // the axis expression without var's term
  int64_t divisor = 1;
};
// var must equal the index expression; an axis no index could be solved from.
struct Guard {
  int var = -1;
  IndexPtr equals;
};
// Only the iteration that won a max or min reduction in the forward pass: table `table` holds,
// per output position over `outputs`, the row-major position over `reduced` of the winner.
struct ArgGuard {
  int table = -1;
  std::vector<int> outputs;
  std::vector<int> reduced;
};

struct Expr {
  enum class Kind { number, read, call, reduce };
  Kind kind = Kind::number;
  double number = 0;                     // number
  int tensor = -1;                       // read
  std::vector<IndexPtr> index;           // read: one per axis
  Fn fn = Fn::add;                       // call
  double exponent = 0;                   // call pow
  std::vector<ExprPtr> args;             // call: arguments; reduce: the body, args[0]
  Reduction reduction = Reduction::sum;  // reduce
  std::vector<int> vars;                 // reduce: the indices iterated, outermost first
  bool implicit = false;                 // reduce: a sum the lecture's convention implies
  std::vector<Binding> bindings;         // reduce (derived gradients)
  std::vector<Guard> guards;
  std::vector<ArgGuard> arg_guards;
  int line = 0, column = 0;
};

ExprPtr number(double value);
ExprPtr read(int tensor, std::vector<IndexPtr> index, int line = 0, int column = 0);
ExprPtr call(Fn fn, std::vector<ExprPtr> args, int line = 0, int column = 0);
ExprPtr power(ExprPtr base, double exponent);
// call() for the arithmetic that derive.cpp builds, simplified where one side is 0 or 1.
ExprPtr multiply(ExprPtr a, ExprPtr b);
ExprPtr negate(ExprPtr a);

// The two reads of `A[...] * B[...]`, in that order; nullopt for any other expression. The
// body of a contraction, which lowering and the contraction loop nest both look for.
std::optional<std::pair<const Expr*, const Expr*>> product_of_reads(const Expr& e);

// ---- Statements and programs -----------------------------------------------------------------

struct Var {
  std::string name;
  int line = 0, column = 0;  // first use
};

// `target[left...] = rhs`, with the ranges `where` gave.
struct Statement {
  int target = -1;
  std::vector<int> left;
  std::vector<Var> vars;
  std::map<int, IndexPtr> given_ranges;  // var -> its bound, constant or with dim(T, k)
  ExprPtr rhs;
  int line = 0, column = 0;
};

struct TensorName {
  std::string name;
  int line = 0, column = 0;  // first use
  int defined_by = -1;       // the statement that computes it; -1 for an input
};

struct Program {
  std::string text;
  std::vector<TensorName> tensors;
  std::vector<int> inputs;  // tensor ids, in order of first use
  std::vector<Statement> statements;
};

// A statement whose every index has its range: what the executor runs.
struct Loop {
  Statement statement;
  std::vector<int64_t> ranges;  // per var
};

// Printing in the formula notation. `names` maps tensor ids to names.
std::string print_index(const Index& index, const std::vector<Var>& vars);
std::string print_expr(const Expr& expr, const std::vector<Var>& vars,
                       const std::vector<std::string>& names);
std::string print_statement(const Statement& statement, const std::vector<std::string>& names);

}  // namespace cnn::formulas
