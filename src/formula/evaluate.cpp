// Evaluation rules (docs/FORMULAS.md, "Reads outside a tensor"): a read outside its tensor,
// or through a division that is not exact, is absent. Absence passes up through products,
// quotients and functions and stops at the nearest operand of + or - (which counts as 0), at a
// reduction (which skips that iteration) or at the right side (whose value is then 0).
// Values are computed in double and stored as float.
#include "formula/evaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cnn/parallel.h"

namespace cnn::formulas {

namespace {

int64_t floor_div(int64_t a, int64_t d) {
  const int64_t q = a / d;
  return (a % d != 0 && (a < 0) != (d < 0)) ? q - 1 : q;
}

bool index_value(const Index& i, const int64_t* env, int64_t& out) {
  int64_t a = 0, b = 0;
  switch (i.op) {
    case Index::Op::constant:
      out = i.value;
      return true;
    case Index::Op::variable:
      out = env[i.var];
      return true;
    case Index::Op::add:
      if (!index_value(*i.a, env, a) || !index_value(*i.b, env, b)) return false;
      out = a + b;
      return true;
    case Index::Op::scale:
      if (!index_value(*i.a, env, a)) return false;
      out = i.value * a;
      return true;
    case Index::Op::floordiv:
      if (!index_value(*i.a, env, a)) return false;
      out = floor_div(a, i.value);
      return true;
    case Index::Op::mod:
      if (!index_value(*i.a, env, a)) return false;
      out = a - floor_div(a, i.value) * i.value;
      return true;
    case Index::Op::exactdiv:
      if (!index_value(*i.a, env, a) || a % i.value != 0) return false;
      out = a / i.value;
      return true;
    case Index::Op::extent:
      return false;  // only in where bounds, which the analysis reads
  }
  return false;
}

double apply(Fn fn, double a, double b, double exponent) {
  switch (fn) {
    case Fn::neg:
      return -a;
    case Fn::relu:
      return std::isnan(a) ? a : std::max(a, 0.0);
    case Fn::sigmoid:
      return 1 / (1 + std::exp(-a));
    case Fn::tanh:
      return std::tanh(a);
    case Fn::exp:
      return std::exp(a);
    case Fn::log:
      return std::log(a);
    case Fn::sqrt:
      return std::sqrt(a);
    case Fn::abs:
      return std::abs(a);
    case Fn::step:
      return a > 0 ? 1 : 0;
    case Fn::sign:
      return a > 0 ? 1 : (a < 0 ? -1 : 0);
    case Fn::pow:
      return exponent == 2 ? a * a : std::pow(a, exponent);
    case Fn::add:
      return a + b;
    case Fn::sub:
      return a - b;
    case Fn::mul:
      return a * b;
    case Fn::div:
      return a / b;
    case Fn::max:
      return (std::isnan(a) || a >= b) ? a : b;
    case Fn::min:
      return (std::isnan(a) || a <= b) ? a : b;
    case Fn::ge:
      return a >= b ? 1 : 0;
    case Fn::lt:
      return a < b ? 1 : 0;
  }
  return 0;
}

void collect_reductions(const Expr& e, std::vector<const Expr*>& out) {
  if (e.kind == Expr::Kind::reduce) out.push_back(&e);
  for (const ExprPtr& a : e.args) collect_reductions(*a, out);
}

// Consecutive positions along the last output index evaluated together: every node of the tree
// is visited once per block, its arithmetic runs over the lanes.
constexpr int kLanes = 16;

// An index expression as constant + sum(coef * var) where it is affine, else its tree.
struct IndexCode {
  int64_t constant = 0;
  std::vector<std::pair<int, int64_t>> terms;
  const Index* tree = nullptr;
};

IndexCode compile_index(const Index& index) {
  IndexCode code;
  if (const auto a = affine_of(index)) {
    code.constant = a->constant;
    for (const auto& [var, c] : a->coef) code.terms.emplace_back(var, c);
  } else {
    code.tree = &index;
  }
  return code;
}

// The expression tree with its index expressions compiled, built once per run.
struct Node {
  const Expr* expr = nullptr;
  std::vector<Node> args;
  std::vector<IndexCode> axes;          // read: per axis
  std::vector<int64_t> strides;         // read: the tensor's, row-major
  std::vector<IndexCode> rests;         // reduce: per binding
  std::vector<IndexCode> guard_equals;  // reduce: per guard
  int reduction = -1;                   // reduce: its position in reductions_of
};

Node compile(const Expr& e, const Buffers& buffers, int& reductions) {
  Node node;
  node.expr = &e;
  if (e.kind == Expr::Kind::reduce) node.reduction = reductions++;
  for (const ExprPtr& a : e.args) node.args.push_back(compile(*a, buffers, reductions));
  if (e.kind == Expr::Kind::read) {
    const Shape& shape = buffers.shapes[e.tensor];
    node.strides.assign(shape.size(), 1);
    for (size_t k = shape.size(); k-- > 1;) node.strides[k - 1] = node.strides[k] * shape[k];
    for (const IndexPtr& i : e.index) node.axes.push_back(compile_index(*i));
  }
  for (const Binding& b : e.bindings) node.rests.push_back(compile_index(*b.rest));
  for (const Guard& g : e.guards) node.guard_equals.push_back(compile_index(*g.equals));
  return node;
}

class Evaluator {
 public:
  Evaluator(const Loop& loop, const Node& root, const Buffers& buffers, const Saves* saves)
      : loop_(loop),
        root_(root),
        buffers_(buffers),
        saves_(saves),
        vars_(loop.ranges.size()),
        env_(loop.ranges.size() * kLanes, 0),
        varying_(loop.ranges.size(), false),
        lane_env_(loop.ranges.size(), 0) {
    // Within a block only the last output index and the indices solved from it (a derived
    // gradient's) differ between lanes.
    if (!loop.statement.left.empty()) varying_[loop.statement.left.back()] = true;
    std::vector<const Expr*> reductions;
    collect_reductions(*loop.statement.rhs, reductions);
    for (const Expr* r : reductions) {
      for (const Binding& b : r->bindings) varying_[b.var] = true;
    }
  }

  // out[0..lanes) = the right side at positions p0 .. p0 + lanes - 1, consecutive along the last
  // output index (or the one position of a statement without indices).
  void at(int64_t p0, int lanes, double* out) {
    position_ = p0;
    lanes_ = lanes;
    const std::vector<int>& left = loop_.statement.left;
    int64_t position = p0;
    for (size_t k = left.size(); k-- > 0;) {
      const int64_t n = loop_.ranges[left[k]];
      const int64_t v = position % n;
      position /= n;
      if (k + 1 < left.size()) {
        set_all(left[k], v);
      } else {
        for (int l = 0; l < kLanes; ++l) var(l, left[k]) = v + l;
      }
    }
    Block r;
    value(root_, r);
    for (int l = 0; l < lanes_; ++l) out[l] = r.present[l] ? r.v[l] : 0.0;
  }

 private:
  struct Block {
    double v[kLanes];
    bool present[kLanes];
  };

  // Index v's value at every lane, contiguous.
  int64_t* lanes_of(int v) { return &env_[static_cast<size_t>(v) * kLanes]; }
  int64_t& var(int lane, int v) { return lanes_of(v)[lane]; }
  void set_all(int v, int64_t value) {
    int64_t* e = lanes_of(v);
    for (int l = 0; l < kLanes; ++l) e[l] = value;
  }

  // The index at every lane; ok[l] is false where it is absent (a division that is not exact).
  void index(const IndexCode& code, int64_t* out, bool* ok) {
    if (code.tree != nullptr) {
      for (int l = 0; l < lanes_; ++l) {
        for (size_t v = 0; v < vars_; ++v) lane_env_[v] = env_[v * kLanes + l];
        ok[l] = index_value(*code.tree, lane_env_.data(), out[l]);
        if (!ok[l]) out[l] = 0;  // absent: a value no arithmetic below can overflow with
      }
      return;
    }
    int64_t uniform = code.constant;
    for (const auto& [v, c] : code.terms) {
      if (!varying_[v]) uniform += c * var(0, v);
    }
    for (int l = 0; l < kLanes; ++l) {
      out[l] = uniform;
      ok[l] = true;
    }
    for (const auto& [v, c] : code.terms) {
      if (!varying_[v]) continue;
      const int64_t* e = lanes_of(v);
      for (int l = 0; l < kLanes; ++l) out[l] += c * e[l];
    }
  }

  void value(const Node& node, Block& out) {
    const Expr& e = *node.expr;
    switch (e.kind) {
      case Expr::Kind::number:
        for (int l = 0; l < lanes_; ++l) {
          out.v[l] = e.number;
          out.present[l] = true;
        }
        return;
      case Expr::Kind::read:
        read(node, out);
        return;
      case Expr::Kind::call: {
        Block a, b;
        value(node.args[0], a);
        if (node.args.size() > 1) value(node.args[1], b);
        if (e.fn == Fn::add || e.fn == Fn::sub) {
          const double sign = e.fn == Fn::add ? 1 : -1;
          for (int l = 0; l < lanes_; ++l) {
            out.v[l] = (a.present[l] ? a.v[l] : 0.0) + sign * (b.present[l] ? b.v[l] : 0.0);
            out.present[l] = true;
          }
          return;
        }
        for (int l = 0; l < lanes_; ++l) {
          out.present[l] = a.present[l] && (node.args.size() < 2 || b.present[l]);
          out.v[l] = out.present[l]
                         ? apply(e.fn, a.v[l], node.args.size() > 1 ? b.v[l] : 0.0, e.exponent)
                         : 0.0;
        }
        return;
      }
      case Expr::Kind::reduce:
        reduce(node, out);
        return;
    }
  }

  void read(const Node& node, Block& out) {
    const Expr& e = *node.expr;
    const Shape& shape = buffers_.shapes[e.tensor];
    int64_t offset[kLanes] = {};
    int64_t at[kLanes];
    bool ok[kLanes];
    for (int l = 0; l < lanes_; ++l) out.present[l] = true;
    for (size_t k = 0; k < node.axes.size(); ++k) {
      index(node.axes[k], at, ok);
      for (int l = 0; l < lanes_; ++l) {
        out.present[l] = out.present[l] && ok[l] && at[l] >= 0 && at[l] < shape[k];
        if (out.present[l]) offset[l] += at[l] * node.strides[k];
      }
    }
    const float* data = buffers_.data[e.tensor];
    for (int l = 0; l < lanes_; ++l) out.v[l] = out.present[l] ? data[offset[l]] : 0.0;
  }

  // Each lane's solved indices, guards and arg-extremum condition; false skips the iteration
  // there. Returns whether any lane is admitted.
  bool admit(const Node& node, bool* admitted) {
    const Expr& e = *node.expr;
    for (int l = 0; l < lanes_; ++l) admitted[l] = true;
    int64_t v[kLanes];
    bool ok[kLanes];
    for (size_t k = 0; k < e.bindings.size(); ++k) {
      const Binding& b = e.bindings[k];
      index(node.rests[k], v, ok);
      for (int l = 0; l < lanes_; ++l) {
        if (!admitted[l] || !ok[l]) {
          admitted[l] = false;
          continue;
        }
        const int64_t numerator = var(l, b.from) - v[l];
        const int64_t solved = numerator / b.divisor;
        admitted[l] = numerator % b.divisor == 0 && solved >= 0 && solved < loop_.ranges[b.var];
        if (admitted[l]) var(l, b.var) = solved;
      }
    }
    for (size_t k = 0; k < e.guards.size(); ++k) {
      index(node.guard_equals[k], v, ok);
      for (int l = 0; l < lanes_; ++l) {
        admitted[l] = admitted[l] && ok[l] && v[l] == var(l, e.guards[k].var);
      }
    }
    for (const ArgGuard& g : e.arg_guards) {
      for (int l = 0; l < lanes_; ++l) {
        admitted[l] =
            admitted[l] && buffers_.tables[g.table][flat(g.outputs, l)] == flat(g.reduced, l);
      }
    }
    bool any = false;
    for (int l = 0; l < lanes_; ++l) any = any || admitted[l];
    return any;
  }

  int64_t flat(const std::vector<int>& vars, int lane) {
    int64_t p = 0;
    for (int v : vars) p = p * loop_.ranges[v] + var(lane, v);
    return p;
  }

  void reduce(const Node& node, Block& out) {
    const Expr& e = *node.expr;
    const std::vector<int>& vars = e.vars;
    int64_t count = 1;
    for (int v : vars) {
      count *= loop_.ranges[v];
      set_all(v, 0);
    }
    const bool extremum = e.reduction == Reduction::max || e.reduction == Reduction::min;
    const double start = e.reduction == Reduction::max   ? -std::numeric_limits<double>::infinity()
                         : e.reduction == Reduction::min ? std::numeric_limits<double>::infinity()
                                                         : 0.0;
    double acc[kLanes];
    int64_t winner[kLanes];
    for (int l = 0; l < lanes_; ++l) {
      acc[l] = start;
      winner[l] = -1;
    }
    bool admitted[kLanes];
    Block body;
    for (int64_t it = 0; it < count; ++it) {
      if (it > 0) {  // odometer, last index fastest
        for (size_t k = vars.size(); k-- > 0;) {
          const int v = vars[k];
          const bool carry = var(0, v) + 1 == loop_.ranges[v];
          const int64_t next = carry ? 0 : var(0, v) + 1;
          set_all(v, next);
          if (!carry) break;
        }
      }
      if (!admit(node, admitted)) continue;
      value(node.args[0], body);
      for (int l = 0; l < lanes_; ++l) {
        if (!admitted[l] || !body.present[l]) continue;
        const double v = body.v[l];
        if (!extremum) {
          acc[l] += v;
        } else if (winner[l] < 0 || (e.reduction == Reduction::max ? v > acc[l] : v < acc[l]) ||
                   (std::isnan(v) && !std::isnan(acc[l]))) {
          acc[l] = v;
          winner[l] = it;
        }
      }
    }
    for (int l = 0; l < lanes_; ++l) {
      if (e.reduction == Reduction::mean) acc[l] /= static_cast<double>(count);
      out.v[l] = acc[l];
      out.present[l] = true;
    }
    if (saves_ == nullptr) return;
    const auto id = static_cast<size_t>(node.reduction);
    if (id < saves_->values.size() && saves_->values[id] != nullptr) {
      for (int l = 0; l < lanes_; ++l)
        saves_->values[id][position_ + l] = static_cast<float>(acc[l]);
    }
    if (id < saves_->winners.size() && saves_->winners[id] != nullptr) {
      for (int l = 0; l < lanes_; ++l) saves_->winners[id][position_ + l] = winner[l];
    }
  }

  const Loop& loop_;
  const Node& root_;
  const Buffers& buffers_;
  const Saves* saves_;
  size_t vars_;
  std::vector<int64_t> env_;       // per index, its kLanes values
  std::vector<bool> varying_;      // per index: whether its lanes can differ
  std::vector<int64_t> lane_env_;  // one lane's indices, for index trees
  int64_t position_ = 0;
  int lanes_ = 1;
};

}  // namespace

std::vector<const Expr*> reductions_of(const Expr& rhs) {
  std::vector<const Expr*> out;
  collect_reductions(rhs, out);
  return out;
}

void run(const Loop& loop, const Buffers& buffers, float* out, bool accumulate,
         const Saves* saves) {
  const std::vector<int>& left = loop.statement.left;
  int64_t points = 1;
  for (int v : left) points *= loop.ranges[v];
  // Blocks of up to kLanes positions along the last output index, within one row of it.
  const int64_t row = left.empty() ? 1 : loop.ranges[left.back()];
  const int64_t per_row = (row + kLanes - 1) / kLanes;
  const int64_t blocks = points / std::max<int64_t>(row, 1) * per_row;
  int reductions = 0;
  const Node root = compile(*loop.statement.rhs, buffers, reductions);
  parallel_for(blocks, 1, [&](int64_t begin, int64_t end) {
    Evaluator evaluator(loop, root, buffers, saves);
    double values[kLanes];
    for (int64_t block = begin; block < end; ++block) {
      const int64_t p0 = block / per_row * row + block % per_row * kLanes;
      const int lanes = static_cast<int>(std::min<int64_t>(kLanes, row - block % per_row * kLanes));
      evaluator.at(p0, lanes, values);
      for (int l = 0; l < lanes; ++l) {
        const auto v = static_cast<float>(values[l]);
        out[p0 + l] = accumulate ? out[p0 + l] + v : v;
      }
    }
  });
}

}  // namespace cnn::formulas
