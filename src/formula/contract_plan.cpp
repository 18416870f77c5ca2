// Planning a contraction (contract.h): the reads' offsets as affine functions of the indices,
// a derived gradient's solved indices substituted, bounds where a read can leave its tensor,
// and the choice of the register-blocked shape.
#include <algorithm>
#include <cstdlib>

#include "formula/contract.h"

namespace cnn::formulas {

namespace {

// constant + coef . indices, over a statement's indices.
struct Linear {
  int64_t constant = 0;
  std::vector<int64_t> coef;
  bool operator==(const Linear&) const = default;
};

Linear unit(size_t vars, int v) {
  Linear f{.constant = 0, .coef = std::vector<int64_t>(vars, 0)};
  f.coef[static_cast<size_t>(v)] = 1;
  return f;
}

void add_scaled(Linear& into, const Linear& x, int64_t factor) {
  into.constant += factor * x.constant;
  for (size_t v = 0; v < x.coef.size(); ++v) into.coef[v] += factor * x.coef[v];
}

// 0 <= f < limit, for an iteration to be present.
struct Limit {
  Linear f;
  int64_t limit = 0;
  bool operator==(const Limit&) const = default;
};

// Adds 0 <= f < limit unless it holds for every value of the indices.
void require(std::vector<Limit>& limits, const Linear& f, int64_t limit,
             const std::vector<int64_t>& ranges) {
  int64_t low = f.constant, high = f.constant;
  for (size_t v = 0; v < f.coef.size(); ++v) {
    const int64_t end = f.coef[v] * (ranges[v] - 1);
    low += std::min<int64_t>(0, end);
    high += std::max<int64_t>(0, end);
  }
  if (low >= 0 && high < limit) return;
  Limit l{.f = f, .limit = limit};
  if (std::find(limits.begin(), limits.end(), l) == limits.end()) limits.push_back(std::move(l));
}

// Each index as an affine function of the free ones: itself, or for an index a derived
// gradient solved with divisor +-1, (from - rest) / divisor, with its range as a limit.
std::optional<std::vector<Linear>> substitution(const Expr& reduce,
                                                const std::vector<int64_t>& ranges,
                                                std::vector<Limit>& limits) {
  const size_t n = ranges.size();
  std::vector<Linear> subst;
  for (size_t v = 0; v < n; ++v) subst.push_back(unit(n, static_cast<int>(v)));
  std::vector<bool> bound(n, false);
  for (const Binding& b : reduce.bindings) bound[static_cast<size_t>(b.var)] = true;
  for (const Binding& b : reduce.bindings) {
    const auto rest = affine_of(*b.rest);
    if (!rest || (b.divisor != 1 && b.divisor != -1)) return std::nullopt;
    Linear f = unit(n, b.from);
    f.constant = -rest->constant;
    for (const auto& [var, c] : rest->coef) {
      if (bound[static_cast<size_t>(var)]) return std::nullopt;
      f.coef[static_cast<size_t>(var)] -= c;
    }
    Linear solved{.constant = 0, .coef = std::vector<int64_t>(n, 0)};
    add_scaled(solved, f, b.divisor);  // dividing by +-1
    require(limits, solved, ranges[static_cast<size_t>(b.var)], ranges);
    subst[static_cast<size_t>(b.var)] = std::move(solved);
  }
  return subst;
}

// A read's flat offset in its dense tensor, with a limit for each axis that can leave it.
std::optional<Linear> offsets(const Expr& read, const cnn::Shape& shape,
                              const std::vector<Linear>& subst, const std::vector<int64_t>& ranges,
                              std::vector<Limit>& limits) {
  Linear flat{.constant = 0, .coef = std::vector<int64_t>(ranges.size(), 0)};
  int64_t stride = 1;
  for (size_t axis = shape.size(); axis-- > 0;) {
    const auto a = affine_of(*read.index[axis]);
    if (!a) return std::nullopt;
    Linear f{.constant = a->constant, .coef = std::vector<int64_t>(ranges.size(), 0)};
    for (const auto& [var, c] : a->coef) add_scaled(f, subst[static_cast<size_t>(var)], c);
    require(limits, f, shape[axis], ranges);
    add_scaled(flat, f, stride);
    stride *= shape[axis];
  }
  return flat;
}

bool in_limits(const std::vector<Limit>& limits, int v) {
  return std::any_of(limits.begin(), limits.end(),
                     [&](const Limit& l) { return l.f.coef[static_cast<size_t>(v)] != 0; });
}

}  // namespace

std::optional<Contraction> plan_contraction(const Loop& loop, const std::vector<Shape>& shapes) {
  const Statement& s = loop.statement;
  const Expr& r = *s.rhs;
  if (r.kind != Expr::Kind::reduce || r.reduction != Reduction::sum || !r.guards.empty() ||
      !r.arg_guards.empty() || s.left.empty()) {
    return std::nullopt;
  }
  const auto reads = product_of_reads(*r.args[0]);
  if (!reads) return std::nullopt;
  const std::vector<int64_t>& ranges = loop.ranges;
  std::vector<Limit> limits;
  const auto subst = substitution(r, ranges, limits);
  if (!subst) return std::nullopt;
  auto [a, b] = *reads;
  auto la = offsets(*a, shapes[a->tensor], *subst, ranges, limits);
  auto lb = offsets(*b, shapes[b->tensor], *subst, ranges, limits);
  if (!la || !lb) return std::nullopt;
  const auto at = [](const Linear& f, int v) { return f.coef[static_cast<size_t>(v)]; };

  Contraction plan;
  const int n = s.left.back();
  int row = -1, depth = -1;
  if (at(*la, n) == 1 && at(*lb, n) == 0) {
    std::swap(a, b);
    std::swap(la, lb);
  }
  if (at(*lb, n) == 1 && at(*la, n) == 0 && !in_limits(limits, n)) {
    plan.kind = Contraction::Kind::columns;
    // The row index: read by A and not by B, the one with the largest range.
    for (int v : s.left) {
      if (v == n || at(*lb, v) != 0 || at(*la, v) == 0 || in_limits(limits, v)) continue;
      if (row < 0 || ranges[v] > ranges[row]) row = v;
    }
  } else {
    plan.kind = Contraction::Kind::dot;
    for (int v : r.vars) {
      if (at(*la, v) != 1 || at(*lb, v) != 1 || in_limits(limits, v)) continue;
      if (depth < 0 || ranges[v] > ranges[depth]) depth = v;
    }
    if (depth < 0) return std::nullopt;
    plan.depth = ranges[depth];
    if (at(*la, n) != 0 && at(*lb, n) == 0) {  // the read that stays put is A
      std::swap(a, b);
      std::swap(la, lb);
    }
  }
  const bool blocked_columns = !in_limits(limits, n);
  plan.a = a->tensor;
  plan.b = b->tensor;
  plan.a_base = la->constant;
  plan.b_base = lb->constant;
  if (blocked_columns) {
    plan.columns = ranges[n];
    plan.col_a = at(*la, n);
    plan.col_b = at(*lb, n);
  }
  // Y is dense: each output index's stride.
  std::vector<int64_t> y_stride(ranges.size(), 0);
  int64_t stride = 1;
  for (size_t k = s.left.size(); k-- > 0;) {
    y_stride[s.left[k]] = stride;
    stride *= ranges[s.left[k]];
  }
  if (row >= 0) {
    plan.rows = ranges[row];
    plan.row_a = at(*la, row);
    plan.row_y = y_stride[row];
  }
  // The other output indices, walked in the order of their strides in the larger read, so that
  // an index it does not read (the batch of a layer's input gradient, whose weight is the
  // larger read) is innermost and consecutive points reuse the same slice of it from cache.
  std::vector<int> outer;
  for (int v : s.left) {
    if ((v != n || !blocked_columns) && v != row) outer.push_back(v);
  }
  const Linear& larger =
      checked_numel(shapes[a->tensor]) >= checked_numel(shapes[b->tensor]) ? *la : *lb;
  std::stable_sort(outer.begin(), outer.end(),
                   [&](int u, int v) { return std::abs(at(larger, u)) > std::abs(at(larger, v)); });
  for (int v : outer) {
    plan.outer_range.push_back(ranges[v]);
    plan.outer_a.push_back(at(*la, v));
    plan.outer_b.push_back(at(*lb, v));
    plan.outer_y.push_back(y_stride[v]);
  }
  for (const Limit& l : limits) {
    Contraction::Bound bound{.constant = l.f.constant, .limit = l.limit, .outer = {}, .taps = {}};
    for (int v : outer) bound.outer.push_back(at(l.f, v));
    plan.bounds.push_back(std::move(bound));
  }
  // The taps: the reduction less the depth's index, row-major in the order the formula names
  // its indices.
  std::vector<int> tap_vars;
  for (int v : r.vars) {
    if (v != depth) tap_vars.push_back(v);
  }
  // The tap tables take 16 bytes per tap and 8 per bound: past kMaxTaps (a reduction of 4
  // million steps outside the vectors) the interpreter, which needs no table, runs it.
  constexpr int64_t kMaxTaps = int64_t{1} << 22;
  int64_t steps = 1;
  for (int v : tap_vars) {
    if (ranges[v] > kMaxTaps / steps) return std::nullopt;
    steps *= ranges[v];
  }
  plan.k_a.reserve(static_cast<size_t>(steps));
  plan.k_b.reserve(static_cast<size_t>(steps));
  std::vector<int64_t> value(tap_vars.size(), 0);
  for (int64_t k = 0; k < steps; ++k) {
    int64_t oa = 0, ob = 0;
    for (size_t q = 0; q < tap_vars.size(); ++q) {
      oa += at(*la, tap_vars[q]) * value[q];
      ob += at(*lb, tap_vars[q]) * value[q];
    }
    plan.k_a.push_back(oa);
    plan.k_b.push_back(ob);
    for (size_t c = 0; c < limits.size(); ++c) {
      int64_t t = 0;
      for (size_t q = 0; q < tap_vars.size(); ++q) t += at(limits[c].f, tap_vars[q]) * value[q];
      plan.bounds[c].taps.push_back(t);
    }
    for (size_t q = tap_vars.size(); q-- > 0;) {
      if (++value[q] < ranges[tap_vars[q]]) break;
      value[q] = 0;
    }
  }
  return plan;
}

}  // namespace cnn::formulas
