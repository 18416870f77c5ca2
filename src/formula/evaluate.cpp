// Evaluation rules (docs/FORMULAS.md, "Reads outside a tensor"): a read outside its tensor,
// or through a division that is not exact, is absent. Absence passes up through products,
// quotients and functions and stops at the nearest operand of + or - (which counts as 0), at a
// reduction (which skips that iteration) or at the right side (whose value is then 0).
// Values are computed in double and stored as float.
#include "formula/evaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

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

class Evaluator {
 public:
  Evaluator(const Loop& loop, const Buffers& buffers, const Saves* saves,
            const std::unordered_map<const Expr*, int>& reduction_ids)
      : loop_(loop),
        buffers_(buffers),
        saves_(saves),
        reduction_ids_(reduction_ids),
        env_(loop.ranges.size(), 0) {
    strides_.resize(buffers.shapes.size());
    for (size_t t = 0; t < buffers.shapes.size(); ++t) {
      const Shape& s = buffers.shapes[t];
      strides_[t].assign(s.size(), 1);
      for (size_t k = s.size(); k-- > 1;) strides_[t][k - 1] = strides_[t][k] * s[k];
    }
  }

  double at(int64_t position) {
    position_ = position;
    const std::vector<int>& left = loop_.statement.left;
    for (size_t k = left.size(); k-- > 0;) {
      const int64_t n = loop_.ranges[left[k]];
      env_[left[k]] = position % n;
      position /= n;
    }
    double v = 0;
    return value(*loop_.statement.rhs, v) ? v : 0.0;
  }

 private:
  bool value(const Expr& e, double& out) {
    switch (e.kind) {
      case Expr::Kind::number:
        out = e.number;
        return true;
      case Expr::Kind::read:
        return read(e, out);
      case Expr::Kind::call: {
        double a = 0, b = 0;
        const bool has_a = value(*e.args[0], a);
        if (e.fn == Fn::add || e.fn == Fn::sub) {
          const bool has_b = value(*e.args[1], b);
          out = (has_a ? a : 0.0) + (e.fn == Fn::add ? 1 : -1) * (has_b ? b : 0.0);
          return true;
        }
        if (!has_a) return false;
        if (e.args.size() > 1 && !value(*e.args[1], b)) return false;
        out = apply(e.fn, a, b, e.exponent);
        return true;
      }
      case Expr::Kind::reduce:
        out = reduce(e);
        return true;
    }
    return false;
  }

  bool read(const Expr& e, double& out) {
    const Shape& shape = buffers_.shapes[e.tensor];
    const std::vector<int64_t>& stride = strides_[e.tensor];
    int64_t offset = 0;
    for (size_t k = 0; k < e.index.size(); ++k) {
      int64_t i = 0;
      if (!index_value(*e.index[k], env_.data(), i) || i < 0 || i >= shape[k]) return false;
      offset += i * stride[k];
    }
    out = buffers_.data[e.tensor][offset];
    return true;
  }

  // One iteration's solved indices, guards and arg-extremum condition; false skips it.
  bool admit(const Expr& e) {
    for (const Binding& b : e.bindings) {
      int64_t rest = 0;
      if (!index_value(*b.rest, env_.data(), rest)) return false;
      const int64_t numerator = env_[b.from] - rest;
      if (numerator % b.divisor != 0) return false;
      const int64_t v = numerator / b.divisor;
      if (v < 0 || v >= loop_.ranges[b.var]) return false;
      env_[b.var] = v;
    }
    for (const Guard& g : e.guards) {
      int64_t v = 0;
      if (!index_value(*g.equals, env_.data(), v) || v != env_[g.var]) return false;
    }
    for (const ArgGuard& g : e.arg_guards) {
      if (buffers_.tables[g.table][flat(g.outputs)] != flat(g.reduced)) return false;
    }
    return true;
  }

  int64_t flat(const std::vector<int>& vars) const {
    int64_t p = 0;
    for (int v : vars) p = p * loop_.ranges[v] + env_[v];
    return p;
  }

  double reduce(const Expr& e) {
    const std::vector<int>& vars = e.vars;
    int64_t count = 1;
    for (int v : vars) {
      count *= loop_.ranges[v];
      env_[v] = 0;
    }
    const bool extremum = e.reduction == Reduction::max || e.reduction == Reduction::min;
    double acc = e.reduction == Reduction::max   ? -std::numeric_limits<double>::infinity()
                 : e.reduction == Reduction::min ? std::numeric_limits<double>::infinity()
                                                 : 0.0;
    int64_t winner = -1;
    for (int64_t it = 0; it < count; ++it) {
      if (it > 0) {  // odometer, last index fastest
        for (size_t k = vars.size(); k-- > 0;) {
          if (++env_[vars[k]] < loop_.ranges[vars[k]]) break;
          env_[vars[k]] = 0;
        }
      }
      double v = 0;
      if (!admit(e) || !value(*e.args[0], v)) continue;
      if (!extremum) {
        acc += v;
      } else if (winner < 0 || (e.reduction == Reduction::max ? v > acc : v < acc) ||
                 (std::isnan(v) && !std::isnan(acc))) {
        acc = v;
        winner = it;
      }
    }
    if (e.reduction == Reduction::mean) acc /= static_cast<double>(count);
    if (saves_ != nullptr) {
      const int id = reduction_ids_.at(&e);
      if (id < static_cast<int>(saves_->values.size()) && saves_->values[id] != nullptr) {
        saves_->values[id][position_] = static_cast<float>(acc);
      }
      if (id < static_cast<int>(saves_->winners.size()) && saves_->winners[id] != nullptr) {
        saves_->winners[id][position_] = winner;
      }
    }
    return acc;
  }

  const Loop& loop_;
  const Buffers& buffers_;
  const Saves* saves_;
  const std::unordered_map<const Expr*, int>& reduction_ids_;
  std::vector<std::vector<int64_t>> strides_;
  std::vector<int64_t> env_;
  int64_t position_ = 0;
};

}  // namespace

std::vector<const Expr*> reductions_of(const Expr& rhs) {
  std::vector<const Expr*> out;
  collect_reductions(rhs, out);
  return out;
}

void run(const Loop& loop, const Buffers& buffers, float* out, bool accumulate,
         const Saves* saves) {
  int64_t points = 1;
  for (int v : loop.statement.left) points *= loop.ranges[v];
  std::unordered_map<const Expr*, int> ids;
  const auto reductions = reductions_of(*loop.statement.rhs);
  for (size_t k = 0; k < reductions.size(); ++k) ids.emplace(reductions[k], static_cast<int>(k));
  parallel_for(points, 16, [&](int64_t begin, int64_t end) {
    Evaluator evaluator(loop, buffers, saves, ids);
    for (int64_t p = begin; p < end; ++p) {
      const auto v = static_cast<float>(evaluator.at(p));
      out[p] = accumulate ? out[p] + v : v;
    }
  });
}

}  // namespace cnn::formulas
