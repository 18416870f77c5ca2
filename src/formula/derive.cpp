// A statement `Y[o] = E` reads tensors inside reductions R_k = reduce_r body_k and outside
// them. For a read T[g(o, r)] inside R_k,
//
//   dT[g(o, r)] += dR_k[o] * d body_k / d T[g(o, r)],   dR_k[o] = dY[o] * dE/dR_k (o)
//
// (times 1/count for a mean; only at the winning r for a max or min), and for a read T[g(o)]
// outside any reduction, dT[g(o)] += dY[o] * dE / dT[g(o)]. Each derivative is the product of
// the local derivatives along the path from the root to that one read, so it is a formula in
// the same notation. The scatter `dT[g(o, r)] += G` is turned into a gather over T's positions
// p: each axis g_k = c*v + rest with an index v that no other axis uses is solved as
// v = (p_k - rest) / c where exact; axes with nothing to solve for become guards p_k = g_k.
// The indices not solved for are summed: for a strided convolution
// dL[b, x', y', i] = dY[b, (x' - dx)/s, (y' - dy)/s, j] * W[dx, dy, i, j].
#include "formula/derive.h"

#include <algorithm>
#include <set>

#include "formula/evaluate.h"

namespace cnn::formulas {

namespace {

using Replace = std::map<const Expr*, ExprPtr>;

bool contains(const Expr& e, const Expr* target) {
  if (&e == target) return true;
  for (const ExprPtr& a : e.args) {
    if (contains(*a, target)) return true;
  }
  return false;
}

ExprPtr substitute(const ExprPtr& e, const Replace& replace) {
  const auto found = replace.find(e.get());
  if (found != replace.end()) return found->second;
  if (e->kind != Expr::Kind::call) return e;
  auto copy = std::make_shared<Expr>(*e);
  for (ExprPtr& a : copy->args) a = substitute(a, replace);
  return copy;
}

ExprPtr fn(Fn f, ExprPtr a) {
  return call(f, {std::move(a)});
}
ExprPtr fn(Fn f, ExprPtr a, ExprPtr b) {
  return call(f, {std::move(a), std::move(b)});
}

// d f(args) / d args[k], in terms of the (substituted) arguments; null where it is 0 almost
// everywhere (step, comparisons).
ExprPtr local_derivative(const Expr& e, size_t k, const Replace& replace) {
  const ExprPtr a = substitute(e.args[0], replace);
  const ExprPtr b = e.args.size() > 1 ? substitute(e.args[1], replace) : nullptr;
  switch (e.fn) {
    case Fn::neg:
      return number(-1);
    case Fn::relu:
      return fn(Fn::step, a);
    case Fn::sigmoid:
      return fn(Fn::mul, fn(Fn::sigmoid, a), fn(Fn::sub, number(1), fn(Fn::sigmoid, a)));
    case Fn::tanh:
      return fn(Fn::sub, number(1), power(fn(Fn::tanh, a), 2));
    case Fn::exp:
      return fn(Fn::exp, a);
    case Fn::log:
      return fn(Fn::div, number(1), a);
    case Fn::sqrt:
      return fn(Fn::div, number(0.5), fn(Fn::sqrt, a));
    case Fn::abs:
      return fn(Fn::sign, a);
    case Fn::pow:
      return e.exponent == 2 ? multiply(number(2), a)
                             : multiply(number(e.exponent), power(a, e.exponent - 1));
    case Fn::add:
      return number(1);
    case Fn::sub:
      return number(k == 0 ? 1 : -1);
    case Fn::mul:
      return k == 0 ? b : a;
    case Fn::div:
      return k == 0 ? fn(Fn::div, number(1), b) : negate(fn(Fn::div, a, power(b, 2)));
    case Fn::max:
      return k == 0 ? fn(Fn::ge, a, b) : fn(Fn::lt, a, b);
    case Fn::min:
      return k == 0 ? fn(Fn::ge, b, a) : fn(Fn::lt, b, a);
    case Fn::step:
    case Fn::sign:
    case Fn::ge:
    case Fn::lt:
      return nullptr;
  }
  return nullptr;
}

// d e / d target for one node `target` of e: the product of the local derivatives along the
// path to it; null where e does not depend on it.
ExprPtr derivative(const ExprPtr& e, const Expr* target, const Replace& replace) {
  if (e.get() == target) return number(1);
  if (e->kind != Expr::Kind::call) return nullptr;
  for (size_t k = 0; k < e->args.size(); ++k) {
    if (!contains(*e->args[k], target)) continue;
    ExprPtr inner = derivative(e->args[k], target, replace);
    ExprPtr local = inner ? local_derivative(*e, k, replace) : nullptr;
    return local ? multiply(local, inner) : nullptr;
  }
  return nullptr;
}

void collect_reads(const Expr& e, int tensor, std::vector<const Expr*>& out) {
  if (e.kind == Expr::Kind::read && e.tensor == tensor) out.push_back(&e);
  for (const ExprPtr& a : e.args) collect_reads(*a, tensor, out);
}

// index = affine + sum(others), flattening its additions.
void split_terms(const IndexPtr& index, Affine& affine, std::vector<IndexPtr>& others) {
  if (index->op == Index::Op::add) {
    split_terms(index->a, affine, others);
    split_terms(index->b, affine, others);
    return;
  }
  const auto a = affine_of(*index);
  if (!a) {
    others.push_back(index);
    return;
  }
  affine.constant += a->constant;
  for (const auto& [v, c] : a->coef) {
    if ((affine.coef[v] += c) == 0) affine.coef.erase(v);
  }
}

bool reads_tensor(const Expr& e, int tensor) {
  std::vector<const Expr*> reads;
  collect_reads(e, tensor, reads);
  return !reads.empty();
}

std::string unique_name(const std::vector<std::string>& taken, std::string name) {
  while (std::find(taken.begin(), taken.end(), name) != taken.end()) name += "'";
  return name;
}

class Deriver {
 public:
  Deriver(const Loop& loop, const std::vector<std::string>& names, const std::vector<Shape>& shapes)
      : loop_(loop), s_(loop.statement) {
    bw_.names = names;
    bw_.shapes = shapes;
    for (int v : s_.left) at_left_.push_back(index_variable(v));
  }

  Backward run(const std::vector<int>& wanted) {
    const Shape out_shape = bw_.shapes[s_.target];
    const std::string out_name = bw_.names[s_.target];
    bw_.grad_output = add_tensor("d" + out_name, out_shape);
    const auto reductions = reductions_of(*s_.rhs);
    bw_.saved.assign(reductions.size(), -1);
    bw_.winners.assign(reductions.size(), false);
    Replace saved_reads;
    std::vector<int> saved_ids;
    for (const Expr* r : reductions) {
      std::string name = out_name + "_" + reduction_name(r->reduction);
      const int id = add_tensor(name, out_shape);
      saved_ids.push_back(id);
      saved_reads[r] = read(id, at_left_);
    }
    // The reductions' gradients dR_k[o] = dY[o] * dE/dR_k.
    std::vector<int> grad_reduction(reductions.size(), -1);
    for (size_t k = 0; k < reductions.size(); ++k) {
      if (s_.rhs.get() == reductions[k]) {
        grad_reduction[k] = bw_.grad_output;
        continue;
      }
      ExprPtr d = derivative(s_.rhs, reductions[k], saved_reads);
      if (!d) continue;
      if (d->kind == Expr::Kind::number && d->number == 1) {  // R_k + B[j]: dR_k is dY
        grad_reduction[k] = bw_.grad_output;
        continue;
      }
      const int id = add_tensor("d" + bw_.names[saved_ids[k]], out_shape);
      Statement step = s_;
      step.target = id;
      step.given_ranges.clear();
      step.rhs = multiply(read(bw_.grad_output, at_left_), d);
      bw_.steps.push_back({Loop{.statement = step, .ranges = loop_.ranges}, false, std::nullopt});
      grad_reduction[k] = id;
    }
    // The inputs' gradients, one step per read.
    for (int tensor : wanted) {
      const int grad = add_tensor("d" + bw_.names[tensor], bw_.shapes[tensor]);
      bw_.grad_of[tensor] = grad;
      std::vector<const Expr*> reads;
      collect_reads(*s_.rhs, tensor, reads);
      for (const Expr* r : reads) {
        size_t k = 0;
        while (k < reductions.size() && !contains(*reductions[k], r)) ++k;
        std::vector<int> scope = s_.left;
        ExprPtr contribution;
        std::vector<ArgGuard> arg_guards;
        if (k == reductions.size()) {
          ExprPtr d = derivative(s_.rhs, r, saved_reads);
          if (!d) continue;
          contribution = multiply(read(bw_.grad_output, at_left_), d);
        } else {
          const Expr& reduction = *reductions[k];
          if (grad_reduction[k] < 0) continue;
          ExprPtr d = derivative(reduction.args[0], r, {});
          if (!d) continue;
          ExprPtr factor = read(grad_reduction[k], at_left_);
          if (reduction.reduction == Reduction::mean) {
            double count = 1;
            for (int v : reduction.vars) count *= static_cast<double>(loop_.ranges[v]);
            factor = multiply(factor, number(1.0 / count));
          }
          contribution = multiply(factor, d);
          scope.insert(scope.end(), reduction.vars.begin(), reduction.vars.end());
          if (reduction.reduction == Reduction::max || reduction.reduction == Reduction::min) {
            arg_guards.push_back(ArgGuard{
                .table = static_cast<int>(k), .outputs = s_.left, .reduced = reduction.vars});
            bw_.winners[k] = true;
          }
        }
        bw_.steps.push_back(
            {transpose(*r, grad, contribution, scope, arg_guards), true, std::nullopt});
      }
    }
    for (size_t k = 0; k < reductions.size(); ++k) {
      for (const Backward::Step& step : bw_.steps) {
        if (reads_tensor(*step.loop.statement.rhs, saved_ids[k])) bw_.saved[k] = saved_ids[k];
      }
    }
    return std::move(bw_);
  }

 private:
  int add_tensor(const std::string& name, const Shape& shape) {
    bw_.names.push_back(unique_name(bw_.names, name));
    bw_.shapes.push_back(shape);
    return static_cast<int>(bw_.names.size()) - 1;
  }

  // dT[p] = sum over the unsolved indices of `contribution`, with T's read `r` solved for p.
  Loop transpose(const Expr& r, int grad, const ExprPtr& contribution,
                 const std::vector<int>& scope, std::vector<ArgGuard> arg_guards) {
    Loop result{.statement = s_, .ranges = loop_.ranges};
    Statement& st = result.statement;
    st.target = grad;
    st.left.clear();
    st.given_ranges.clear();
    std::map<int, int> axes_using;  // var -> number of axes it appears in
    for (const IndexPtr& i : r.index) {
      std::vector<int> vars;
      collect_vars(*i, vars);
      for (int v : vars) ++axes_using[v];
    }
    std::vector<Binding> bindings;
    std::vector<Guard> guards;
    std::set<int> solved;
    const Shape& shape = bw_.shapes[r.tensor];
    for (size_t k = 0; k < r.index.size(); ++k) {
      // The axis as affine terms plus terms that are not (a group's base (j/n)*c, say).
      Affine affine;
      std::vector<IndexPtr> others;
      split_terms(r.index[k], affine, others);
      int chosen = -1;
      // Solve for the index with the largest range (fewest terms left to sum), then one with
      // coefficient +-1.
      const auto better = [&](int v, int u) {
        if (loop_.ranges[v] != loop_.ranges[u]) return loop_.ranges[v] > loop_.ranges[u];
        const int64_t cv = affine.coef.at(v), cu = affine.coef.at(u);
        return (cv == 1 || cv == -1) && !(cu == 1 || cu == -1);
      };
      for (const auto& term : affine.coef) {
        const int v = term.first;
        bool in_others = false;
        for (const IndexPtr& o : others) in_others = in_others || uses_var(*o, v);
        if (axes_using[v] != 1 || solved.contains(v) || in_others) continue;
        if (chosen < 0 || better(v, chosen)) chosen = v;
      }
      std::vector<std::string> taken;
      for (const Var& v : st.vars) taken.push_back(v.name);
      const bool bare = others.empty() && affine.coef.size() == 1 && affine.constant == 0 &&
                        chosen >= 0 && affine.coef.at(chosen) == 1;
      std::string name = chosen < 0 ? std::string("p") : st.vars[chosen].name;
      if (chosen < 0) name.append(std::to_string(k));
      if (chosen >= 0 && !bare) name.push_back('\'');
      if (!bare) name = unique_name(taken, name);
      const int p = static_cast<int>(st.vars.size());
      st.vars.push_back(Var{.name = name, .line = 0, .column = 0});
      result.ranges.push_back(shape[k]);
      st.left.push_back(p);
      if (chosen >= 0) {
        Affine rest = affine;
        const int64_t c = rest.coef.at(chosen);
        rest.coef.erase(chosen);
        IndexPtr rest_index = index_from_affine(rest);
        for (const IndexPtr& o : others) rest_index = index_add(rest_index, o);
        bindings.push_back(Binding{.var = chosen, .from = p, .rest = rest_index, .divisor = c});
        solved.insert(chosen);
      } else {
        guards.push_back(Guard{.var = p, .equals = r.index[k]});
      }
    }
    auto sum = std::make_shared<Expr>();
    sum->kind = Expr::Kind::reduce;
    sum->reduction = Reduction::sum;
    sum->implicit = true;
    for (int v : scope) {
      if (!solved.contains(v)) sum->vars.push_back(v);
    }
    sum->bindings = std::move(bindings);
    sum->guards = std::move(guards);
    sum->arg_guards = std::move(arg_guards);
    sum->args = {contribution};
    st.rhs = sum;
    return result;
  }

  const Loop& loop_;
  const Statement& s_;
  Backward bw_;
  std::vector<IndexPtr> at_left_;
};

}  // namespace

Backward derive(const Loop& loop, const std::vector<std::string>& names,
                const std::vector<Shape>& shapes, const std::vector<int>& wanted) {
  return Deriver(loop, names, shapes).run(wanted);
}

std::string print_backward(const Backward& backward) {
  std::string text;
  std::set<int> written;
  for (const Backward::Step& step : backward.steps) {
    const Statement& s = step.loop.statement;
    std::string line = print_statement(s, backward.names);
    if (!written.insert(s.target).second) {
      const size_t eq = line.find(" = ");
      line.replace(eq, 3, " += ");
    }
    text += line + "\n";
  }
  return text;
}

}  // namespace cnn::formulas
