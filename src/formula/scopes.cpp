// The scope rules and the lecture's implicit sums (docs/FORMULAS.md, "The language").
#include "formula/scopes.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "formula/parser.h"

namespace cnn::formulas {

namespace {

void count_uses(const std::string& text, const Statement& s, const Expr& e,
                std::map<int, int>& uses, bool in_reduction) {
  if (e.kind == Expr::Kind::read) {
    for (const IndexPtr& i : e.index) {
      std::vector<int> vars;
      collect_vars(*i, vars);
      for (int v : vars) ++uses[v];
    }
  }
  if (e.kind == Expr::Kind::reduce) {
    if (in_reduction) {
      fail_at(text, e.line, e.column,
              "a reduction inside a reduction: compute the inner one in its own statement");
    }
    std::map<int, int> inner;
    count_uses(text, s, *e.args[0], inner, true);
    for (int v : e.vars) {
      if (!inner.contains(v)) {
        const Var& var = s.vars[v];
        fail_at(text, var.line, var.column, "index " + var.name + " is reduced but not used");
      }
    }
    for (const auto& [v, n] : inner) uses[v] += n;
    return;
  }
  for (const ExprPtr& a : e.args) count_uses(text, s, *a, uses, in_reduction);
}

// Occurrences of each index (in reads) not yet bound by a reduction.
void free_uses(const Expr& e, std::map<int, int>& uses) {
  if (e.kind == Expr::Kind::read) {
    for (const IndexPtr& i : e.index) {
      std::vector<int> vars;
      collect_vars(*i, vars);
      for (int v : vars) ++uses[v];
    }
    return;
  }
  std::map<int, int> inner;
  for (const ExprPtr& a : e.args) free_uses(*a, inner);
  for (int v : e.vars) inner.erase(v);
  for (const auto& [v, n] : inner) uses[v] += n;
}

bool contains_reduction(const Expr& e) {
  if (e.kind == Expr::Kind::reduce) return true;
  for (const ExprPtr& a : e.args) {
    if (contains_reduction(*a)) return true;
  }
  return false;
}

ExprPtr bind(const std::string& text, const Statement& s, const ExprPtr& e, std::set<int>& implicit,
             const std::map<int, int>& total, bool is_term, bool in_reduction) {
  ExprPtr result = e;
  if (e->kind == Expr::Kind::call || e->kind == Expr::Kind::reduce) {
    auto copy = std::make_shared<Expr>(*e);
    const bool additive = e->kind == Expr::Kind::call && (e->fn == Fn::add || e->fn == Fn::sub);
    const bool product = e->kind == Expr::Kind::call && (e->fn == Fn::mul || e->fn == Fn::div ||
                                                         e->fn == Fn::neg || e->fn == Fn::pow);
    for (ExprPtr& a : copy->args) {
      a = bind(text, s, a, implicit, total, additive || !product,
               in_reduction || e->kind == Expr::Kind::reduce);
    }
    result = copy;
  }
  if (!is_term) return result;
  std::map<int, int> here;
  free_uses(*result, here);
  std::vector<int> vars;
  for (const auto& [v, n] : here) {
    if (implicit.contains(v) && n == total.at(v)) vars.push_back(v);
  }
  if (vars.empty()) return result;
  if (in_reduction || contains_reduction(*result)) {
    const Var& var = s.vars[vars.front()];
    fail_at(text, var.line, var.column,
            "index " + var.name +
                " is summed around or inside another reduction: name it in "
                "that reduction or compute the inner one in its own statement");
  }
  for (int v : vars) implicit.erase(v);
  auto node = std::make_shared<Expr>();
  node->kind = Expr::Kind::reduce;
  node->reduction = Reduction::sum;
  node->implicit = true;
  node->vars = vars;
  node->args = {result};
  node->line = result->line;
  node->column = result->column;
  return node;
}

}  // namespace

// Left indices must be used on the right (or given a range); reduced indices only inside
// their reduction; no reduction inside another.
void check_scopes(const std::string& text, const Statement& s) {
  std::map<int, int> uses;
  count_uses(text, s, *s.rhs, uses, false);
  for (int v : s.left) {
    if (!uses.contains(v) && !s.given_ranges.contains(v)) {
      const Var& var = s.vars[v];
      fail_at(text, var.line, var.column,
              "index " + var.name +
                  " on the left does not appear on the right (give its range "
                  "with 'where " +
                  var.name + " < N' to repeat the value along it)");
    }
  }
  for (const auto& [v, range] : s.given_ranges) {
    if (!uses.contains(v) && std::find(s.left.begin(), s.left.end(), v) == s.left.end()) {
      const Var& var = s.vars[v];
      fail_at(text, var.line, var.column, "index " + var.name + " is given a range but not used");
    }
  }
}

// The lecture's convention: an index on the right and not on the left is summed over, in
// the smallest term (the whole right side, an operand of + or -, a function's argument, a
// reduction's body) that holds all its uses.
ExprPtr make_sums_explicit(const std::string& text, const Statement& s) {
  std::map<int, int> total;
  free_uses(*s.rhs, total);
  std::set<int> implicit;
  for (const auto& [v, n] : total) {
    if (std::find(s.left.begin(), s.left.end(), v) == s.left.end()) implicit.insert(v);
  }
  return bind(text, s, s.rhs, implicit, total, true, false);
}

}  // namespace cnn::formulas
