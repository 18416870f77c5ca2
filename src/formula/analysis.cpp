// Range inference (docs/FORMULAS.md, "Ranges"): an index given by `where` keeps that range
// and the reads it takes part in may fall outside their tensors (padding); an index used alone
// as an axis runs over that axis's extent (every such use must agree); then, repeatedly, an
// index in an affine axis expression whose other indices have ranges gets the largest range
// that keeps the read inside its tensor. Ranges only shrink, so this ends.
#include "formula/analysis.h"

#include <algorithm>
#include <limits>

#include "formula/parser.h"

namespace cnn::formulas {

namespace {

// Elements a statement may produce: far beyond any real layer, well inside int64 arithmetic.
constexpr int64_t kMaxElements = int64_t{1} << 40;

struct Context {
  const Program& program;
  const Statement& statement;
  std::vector<Shape>& shapes;
  std::vector<int64_t> ranges;
  std::vector<bool> given;

  [[noreturn]] void error(int line, int column, const std::string& message) const {
    fail_at(program.text, line, column, message);
  }
  [[noreturn]] void error_at_var(int var, const std::string& message) const {
    const Var& v = statement.vars[var];
    error(v.line, v.column, message);
  }
  const std::string& name(int tensor) const { return program.tensors[tensor].name; }
};

void collect_reads(const Expr& e, std::vector<const Expr*>& reads) {
  if (e.kind == Expr::Kind::read) reads.push_back(&e);
  for (const ExprPtr& a : e.args) collect_reads(*a, reads);
}

void check_ranks(Context& c, const std::vector<const Expr*>& reads) {
  for (const Expr* r : reads) {
    const Shape& shape = c.shapes[r->tensor];
    if (r->index.size() != shape.size()) {
      c.error(r->line, r->column,
              c.name(r->tensor) + " has " + std::to_string(shape.size()) + " axes (shape " +
                  to_string(shape) + ") but is read with " + std::to_string(r->index.size()) +
                  (r->index.size() == 1 ? " index" : " indices"));
    }
  }
}

void direct_uses(Context& c, const std::vector<const Expr*>& reads) {
  std::vector<const Expr*> first_read(c.ranges.size(), nullptr);
  std::vector<size_t> first_axis(c.ranges.size(), 0);
  for (const Expr* r : reads) {
    for (size_t k = 0; k < r->index.size(); ++k) {
      const Index& i = *r->index[k];
      if (i.op != Index::Op::variable || c.given[i.var]) continue;
      const int64_t extent = c.shapes[r->tensor][k];
      if (first_read[i.var] == nullptr) {
        first_read[i.var] = r;
        first_axis[i.var] = k;
        c.ranges[i.var] = extent;
      } else if (c.ranges[i.var] != extent) {
        const Expr* f = first_read[i.var];
        const std::string& var = c.statement.vars[i.var].name;
        c.error(r->line, i.column ? i.column : r->column,
                "shape mismatch: index " + var + " runs over axis " + std::to_string(k) + " of " +
                    c.name(r->tensor) + " (extent " + std::to_string(extent) + ") and axis " +
                    std::to_string(first_axis[i.var]) + " of " + c.name(f->tensor) + " (extent " +
                    std::to_string(c.ranges[i.var]) + ", column " + std::to_string(f->column) +
                    ")");
      }
    }
  }
}

// One pass over the affine axes; true when a range changed.
bool infer_pass(Context& c, const std::vector<const Expr*>& reads) {
  bool changed = false;
  for (const Expr* r : reads) {
    for (size_t k = 0; k < r->index.size(); ++k) {
      const auto affine = affine_of(*r->index[k]);
      if (!affine) continue;
      // A range given to a left index asks for padding: its reads may leave the tensor.
      bool padded = false;
      for (const auto& [v, coef] : affine->coef) {
        padded = padded ||
                 (c.given[v] && std::find(c.statement.left.begin(), c.statement.left.end(), v) !=
                                    c.statement.left.end());
      }
      if (padded) continue;
      const int64_t extent = c.shapes[r->tensor][k];
      for (const auto& [v, coef] : affine->coef) {
        if (c.given[v]) continue;
        if (affine->coef.size() == 1 && affine->constant == 0 && coef == 1) continue;  // direct
        // The rest of the expression, over the other indices' ranges.
        int64_t low = affine->constant, high = affine->constant;
        bool known = true;
        for (const auto& [u, a] : affine->coef) {
          if (u == v) continue;
          if (c.ranges[u] < 0) {
            known = false;
            break;
          }
          const int64_t end = a * (c.ranges[u] - 1);
          low += std::min<int64_t>(0, end);
          high += std::max<int64_t>(0, end);
        }
        if (!known) continue;
        const std::string& var = c.statement.vars[v].name;
        const int column = r->index[k]->column ? r->index[k]->column : r->column;
        // coef > 0: low >= 0 and coef*(N-1) + high <= extent-1; coef < 0 mirrored.
        const bool below = coef > 0 ? low < 0 : high > extent - 1;
        if (below) {
          c.error(r->line, column,
                  "the read of " + c.name(r->tensor) + " leaves axis " + std::to_string(k) +
                      " (extent " + std::to_string(extent) + ") at " + var +
                      " = 0 whatever its range: give the ranges with where (reads outside are "
                      "then zero padding)");
        }
        const int64_t room = coef > 0 ? extent - 1 - high : low;
        const int64_t n = room < 0 ? 0 : room / (coef > 0 ? coef : -coef) + 1;
        if (n <= 0) {
          c.error(r->line, column,
                  "index " + var + " has an empty range: axis " + std::to_string(k) + " of " +
                      c.name(r->tensor) + " has " + std::to_string(extent) +
                      " elements, fewer than the read needs");
        }
        if (c.ranges[v] < 0 || n < c.ranges[v]) {
          c.ranges[v] = n;
          changed = true;
        }
      }
    }
  }
  return changed;
}

// A where bound: numbers and dim(T, axis), +, *, / and % by constants.
int64_t bound_value(const Context& c, const Index& i) {
  switch (i.op) {
    case Index::Op::constant:
      return i.value;
    case Index::Op::extent: {
      const Shape& shape = c.shapes[static_cast<size_t>(i.var)];
      if (i.value >= static_cast<int64_t>(shape.size())) {
        c.error(c.statement.line, i.column,
                "dim(" + c.name(i.var) + ", " + std::to_string(i.value) + "): " + c.name(i.var) +
                    " has " + std::to_string(shape.size()) +
                    (shape.size() == 1 ? " axis" : " axes"));
      }
      return shape[static_cast<size_t>(i.value)];
    }
    case Index::Op::add:
      return bound_value(c, *i.a) + bound_value(c, *i.b);
    case Index::Op::scale:
      return i.value * bound_value(c, *i.a);
    case Index::Op::floordiv: {
      const int64_t a = bound_value(c, *i.a);
      return a >= 0 ? a / i.value : -((-a + i.value - 1) / i.value);
    }
    case Index::Op::mod: {
      const int64_t a = bound_value(c, *i.a);
      return ((a % i.value) + i.value) % i.value;
    }
    default:
      return 0;
  }
}

int64_t checked_product(const Context& c, const Shape& shape) {
  int64_t n = 1;
  for (int64_t e : shape) {
    if (e != 0 && n > kMaxElements / e) {
      c.error(c.statement.line, c.statement.column,
              c.name(c.statement.target) + " would have shape " + to_string(shape) +
                  ", more than 2^40 elements");
    }
    n *= e;
  }
  return n;
}

}  // namespace

double flops_of(const Expr& expr, const std::vector<int64_t>& ranges) {
  switch (expr.kind) {
    case Expr::Kind::number:
    case Expr::Kind::read:
      return 0;
    case Expr::Kind::call: {
      double total = 1;
      for (const ExprPtr& a : expr.args) total += flops_of(*a, ranges);
      return total;
    }
    case Expr::Kind::reduce: {
      double count = 1;
      for (int v : expr.vars) count *= static_cast<double>(ranges[v]);
      return count * (flops_of(*expr.args[0], ranges) + 1);
    }
  }
  return 0;
}

Analysis analyze(const Program& program, const std::map<std::string, Shape>& input_shapes) {
  Analysis result;
  result.shapes.resize(program.tensors.size());
  for (int id : program.inputs) {
    const TensorName& t = program.tensors[id];
    const auto found = input_shapes.find(t.name);
    if (found == input_shapes.end()) {
      fail_at(program.text, t.line, t.column,
              "the formula reads " + t.name + ", which is not given");
    }
    for (int64_t e : found->second) {
      if (e < 0) {
        fail_at(program.text, t.line, t.column,
                t.name + " has a negative extent: " + to_string(found->second));
      }
    }
    result.shapes[id] = found->second;
  }
  for (const auto& [name, shape] : input_shapes) {
    bool read = false;
    for (int id : program.inputs) read = read || program.tensors[id].name == name;
    if (!read) {
      std::string names;
      for (int id : program.inputs) names += (names.empty() ? "" : ", ") + program.tensors[id].name;
      throw FormulaError("formula: " + name +
                             " is given but the formula does not read it (it "
                             "reads " +
                             names + ")",
                         0, 0);
    }
  }
  for (const Statement& s : program.statements) {
    Context c{.program = program,
              .statement = s,
              .shapes = result.shapes,
              .ranges = std::vector<int64_t>(s.vars.size(), -1),
              .given = std::vector<bool>(s.vars.size(), false)};
    for (const auto& [v, bound] : s.given_ranges) {
      const int64_t n = bound_value(c, *bound);
      if (n <= 0) {
        c.error_at_var(v, "the range of " + s.vars[v].name + " is empty (" + s.vars[v].name +
                              " < " + std::to_string(n) + ")");
      }
      c.ranges[v] = n;
      c.given[v] = true;
    }
    std::vector<const Expr*> reads;
    collect_reads(*s.rhs, reads);
    check_ranks(c, reads);
    direct_uses(c, reads);
    while (infer_pass(c, reads)) {
    }
    for (size_t v = 0; v < c.ranges.size(); ++v) {
      if (c.ranges[v] < 0) {
        c.error_at_var(static_cast<int>(v),
                       "cannot infer the range of index " + s.vars[v].name +
                           ": use it alone as an axis of a tensor, or give it with 'where " +
                           s.vars[v].name + " < N'");
      }
      if (c.ranges[v] == 0) {
        c.error_at_var(static_cast<int>(v), "index " + s.vars[v].name + " has an empty range");
      }
    }
    Shape shape;
    for (int v : s.left) shape.push_back(c.ranges[v]);
    const int64_t points = checked_product(c, shape);
    result.shapes[s.target] = shape;
    result.flops.push_back(static_cast<double>(points) * flops_of(*s.rhs, c.ranges));
    result.loops.push_back(Loop{.statement = s, .ranges = c.ranges});
  }
  return result;
}

}  // namespace cnn::formulas
