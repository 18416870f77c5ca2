// Pattern matching on analyzed statements. A window axis is `s*x + d*dx - p` (stride s,
// dilation d, top padding p); the bottom padding is what the output's range needs beyond the
// input, and when the op would produce more rows than the formula asks for, the extra rows are
// sliced off.
#include "formula/lower.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/conv.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/linear.h"
#include "cnn/ops/norm.h"
#include "cnn/ops/pool.h"
#include "cnn/ops/shape.h"

namespace cnn::formulas {

namespace {

bool is_var(const Index& i, int var) {
  return i.op == Index::Op::variable && i.var == var;
}
bool is_call(const Expr& e, Fn fn) {
  return e.kind == Expr::Kind::call && e.fn == fn;
}

// act(core + bias[j]) or act(core - bias[j]), each part optional.
struct Epilogue {
  bool relu = false;
  const Expr* bias = nullptr;
  bool negate_bias = false;
  const Expr* core = nullptr;
};

Epilogue split_epilogue(const Expr& rhs, int channel) {
  Epilogue e;
  const Expr* x = &rhs;
  if (is_call(*x, Fn::relu)) {
    e.relu = true;
    x = x->args[0].get();
  }
  const auto is_bias = [&](const Expr* r) {
    return r->kind == Expr::Kind::read && r->index.size() == 1 && is_var(*r->index[0], channel);
  };
  if (is_call(*x, Fn::add) || is_call(*x, Fn::sub)) {
    const Expr* a = x->args[0].get();
    const Expr* b = x->args[1].get();
    if (is_bias(b)) {
      e.bias = b;
      e.negate_bias = x->fn == Fn::sub;
      x = a;
    } else if (x->fn == Fn::add && is_bias(a)) {
      e.bias = a;
      x = b;
    } else {
      return {};
    }
  }
  e.core = x;
  return e;
}

struct Window {
  int64_t stride = 1, dilation = 1, before = 0, after = 0;
  int64_t produced = 0;  // rows the op makes
};

// `s*out + d*tap - p` over an input of `extent`, with out < out_range, tap < taps.
std::optional<Window> window(const Index& index, int out, int tap, int64_t extent,
                             int64_t out_range, int64_t taps) {
  const auto a = affine_of(index);
  if (!a || a->coef.size() != 2 || !a->coef.contains(out) || !a->coef.contains(tap)) {
    return std::nullopt;
  }
  Window w{.stride = a->coef.at(out), .dilation = a->coef.at(tap), .before = -a->constant};
  if (w.stride <= 0 || w.dilation <= 0 || w.before < 0) return std::nullopt;
  const int64_t last = (out_range - 1) * w.stride + w.dilation * (taps - 1) - w.before;
  w.after = std::max<int64_t>(0, last - (extent - 1));
  // Padding beyond the window's span only adds rows that read nothing, which the op would pad,
  // compute and crop (a formula shifted by 222222 rows made a 3-row layer take 100 s): such a
  // statement runs on the loop nests, whose cost follows the output.
  const int64_t reach = w.dilation * (taps - 1);
  if (w.before > reach || w.after > reach) return std::nullopt;
  const auto produced = [&](int64_t after) {
    const int64_t span = extent + w.before + after - w.dilation * (taps - 1) - 1;
    return span < 0 ? int64_t{-1} : span / w.stride + 1;
  };
  // Symmetric padding where it makes the same rows: the kernels' common case (a stride-2 "same"
  // convolution needs no bottom row, but PyTorch's padding 1 pads one).
  if (w.after < w.before && produced(w.before) == out_range) w.after = w.before;
  w.produced = produced(w.after);
  if (w.produced < 0) return std::nullopt;
  return w;
}

Tensor rows_and_cols(const Tensor& y, int64_t rows, int64_t cols) {
  if (y.size(1) == rows && y.size(2) == cols) return y;
  return y.slice(1, 0, rows).slice(2, 0, cols).contiguous();
}

bool grad_needed(const std::vector<Tensor>& ts) {
  return autograd::needs_grad(autograd::TensorList(ts.begin(), ts.end()));
}

std::string describe_window(const char* op, const Window& h, const Window& w, int64_t groups) {
  std::ostringstream out;
  out << op << "(stride " << h.stride << "x" << w.stride;
  if (h.before || h.after || w.before || w.after) {
    out << ", padding " << h.before << "," << h.after << "," << w.before << "," << w.after;
  }
  if (h.dilation != 1 || w.dilation != 1) out << ", dilation " << h.dilation << "x" << w.dilation;
  if (groups != 1) out << ", groups " << groups;
  out << ")";
  return out.str();
}

// Y[b,x,y,j] = act(sum(dx,dy,i: W[dx,dy,i,j] * L[b, window, window, channel]) +- B[j])
std::optional<Lowering> lower_conv(const Loop& loop, const std::vector<Shape>& shapes) {
  const Statement& s = loop.statement;
  if (s.left.size() != 4) return std::nullopt;
  const int b = s.left[0], x = s.left[1], y = s.left[2], j = s.left[3];
  const Epilogue e = split_epilogue(*s.rhs, j);
  if (e.core == nullptr || e.core->kind != Expr::Kind::reduce ||
      e.core->reduction != Reduction::sum) {
    return std::nullopt;
  }
  const auto reads = product_of_reads(*e.core->args[0]);
  if (!reads) return std::nullopt;
  auto [w, l] = *reads;
  if (w->index.size() != 4 || !is_var(*w->index[3], j)) std::swap(w, l);
  if (w->index.size() != 4 || l->index.size() != 4 || !is_var(*w->index[3], j)) return std::nullopt;
  const std::set<int> reduced(e.core->vars.begin(), e.core->vars.end());
  const Index& w0 = *w->index[0];
  const Index& w1 = *w->index[1];
  const Index& w2 = *w->index[2];
  if (w0.op != Index::Op::variable || w1.op != Index::Op::variable) return std::nullopt;
  const int dx = w0.var, dy = w1.var;
  const bool depthwise = w2.op == Index::Op::constant && w2.value == 0;
  const int i = depthwise ? -1 : (w2.op == Index::Op::variable ? w2.var : -2);
  if (i == -2) return std::nullopt;
  std::set<int> expected = {dx, dy};
  if (!depthwise) expected.insert(i);
  if (reduced != expected || !is_var(*l->index[0], b)) return std::nullopt;
  const Shape& ws = shapes[w->tensor];
  const Shape& ls = shapes[l->tensor];
  const int64_t channels = ls[3], out_channels = ws[3], per_group = ws[2];
  int64_t groups = 1;
  const Index& c = *l->index[3];
  if (depthwise) {
    if (!is_var(c, j) || per_group != 1 || out_channels != channels) return std::nullopt;
    groups = channels;
  } else if (is_var(c, i)) {
    if (per_group != channels) return std::nullopt;
  } else {
    // (j / n) * per_group + i: group j / n of n output channels each.
    if (c.op != Index::Op::add) return std::nullopt;
    const Index* base = c.a.get();
    const Index* in_group = c.b.get();
    if (!is_var(*in_group, i)) std::swap(base, in_group);
    if (!is_var(*in_group, i) || base->op != Index::Op::scale || base->value != per_group ||
        base->a->op != Index::Op::floordiv || !is_var(*base->a->a, j) ||
        channels % per_group != 0) {
      return std::nullopt;
    }
    groups = channels / per_group;
    if (out_channels != groups * base->a->value) return std::nullopt;
  }
  const auto h = window(*l->index[1], x, dx, ls[1], loop.ranges[x], loop.ranges[dx]);
  const auto wd = window(*l->index[2], y, dy, ls[2], loop.ranges[y], loop.ranges[dy]);
  if (!h || !wd || h->produced < loop.ranges[x] || wd->produced < loop.ranges[y]) {
    return std::nullopt;
  }
  const Conv2dOptions options{.stride = {h->stride, wd->stride},
                              .padding = Pad2d(h->before, h->after, wd->before, wd->after),
                              .dilation = {h->dilation, wd->dilation},
                              .groups = groups};
  const int lt = l->tensor, wt = w->tensor, bt = e.bias ? e.bias->tensor : -1;
  const bool relu_after = e.relu, negate = e.negate_bias;
  const int64_t rows = loop.ranges[x], cols = loop.ranges[y];
  std::string kernel = describe_window(depthwise ? "conv2d depthwise" : "conv2d", *h, *wd, groups);
  if (bt >= 0) kernel += negate ? " - bias" : " + bias";
  if (relu_after) kernel += ", relu";
  return Lowering{
      .kernel = kernel, .run = [=](std::vector<Tensor>& v) {
        Tensor bias = bt >= 0 ? (negate ? neg(v[bt]) : v[bt]) : Tensor();
        const std::vector<Tensor> args = {v[lt], v[wt], bias};
        if (!grad_needed(args)) {  // one pass, the ReLU in the kernel's epilogue
          return rows_and_cols(
              conv2d_act(v[lt], v[wt], bias,
                         relu_after ? ConvActivation::relu : ConvActivation::none, options),
              rows, cols);
        }
        Tensor out = rows_and_cols(conv2d(v[lt], v[wt], bias, options), rows, cols);
        return relu_after ? relu(out) : out;
      }};
}

// Y[b,j] = act(sum(i: W[j,i] * L[b,i]) +- B[j]), W also as W[i,j].
std::optional<Lowering> lower_linear(const Loop& loop, const std::vector<Shape>& /*shapes*/) {
  const Statement& s = loop.statement;
  if (s.left.size() != 2) return std::nullopt;
  const int b = s.left[0], j = s.left[1];
  const Epilogue e = split_epilogue(*s.rhs, j);
  if (e.core == nullptr || e.core->kind != Expr::Kind::reduce ||
      e.core->reduction != Reduction::sum || e.core->vars.size() != 1) {
    return std::nullopt;
  }
  const int i = e.core->vars[0];
  const auto reads = product_of_reads(*e.core->args[0]);
  if (!reads) return std::nullopt;
  auto [w, l] = *reads;
  const auto is_input = [&](const Expr* r) {
    return r->index.size() == 2 && is_var(*r->index[0], b) && is_var(*r->index[1], i);
  };
  if (!is_input(l)) std::swap(w, l);
  if (!is_input(l) || w->index.size() != 2) return std::nullopt;
  bool transposed = false;
  if (is_var(*w->index[0], i) && is_var(*w->index[1], j)) {
    transposed = true;
  } else if (!(is_var(*w->index[0], j) && is_var(*w->index[1], i))) {
    return std::nullopt;
  }
  const int lt = l->tensor, wt = w->tensor, bt = e.bias ? e.bias->tensor : -1;
  const bool relu_after = e.relu, negate = e.negate_bias;
  std::string kernel = transposed ? "linear (weight transposed)" : "linear";
  if (bt >= 0) kernel += negate ? " - bias" : " + bias";
  if (relu_after) kernel += ", relu";
  return Lowering{.kernel = kernel, .run = [=](std::vector<Tensor>& v) {
                    Tensor weight = transposed ? v[wt].transpose(0, 1).contiguous() : v[wt];
                    Tensor bias = bt >= 0 ? (negate ? neg(v[bt]) : v[bt]) : Tensor();
                    Tensor out = linear(v[lt], weight, bias);
                    return relu_after ? relu(out) : out;
                  }};
}

// Y[b,x,y,i] = max(dx,dy: L[b, window, window, i]) or mean(...).
std::optional<Lowering> lower_pool(const Loop& loop, const std::vector<Shape>& shapes) {
  const Statement& s = loop.statement;
  const Expr& r = *s.rhs;
  if (s.left.size() != 4 || r.kind != Expr::Kind::reduce || r.vars.size() != 2 ||
      (r.reduction != Reduction::max && r.reduction != Reduction::mean)) {
    return std::nullopt;
  }
  const Expr& l = *r.args[0];
  const int b = s.left[0], x = s.left[1], y = s.left[2], i = s.left[3];
  if (l.kind != Expr::Kind::read || l.index.size() != 4 || !is_var(*l.index[0], b) ||
      !is_var(*l.index[3], i)) {
    return std::nullopt;
  }
  const int dx = r.vars[0], dy = r.vars[1];
  const Shape& ls = shapes[l.tensor];
  const auto h = window(*l.index[1], x, dx, ls[1], loop.ranges[x], loop.ranges[dx]);
  const auto w = window(*l.index[2], y, dy, ls[2], loop.ranges[y], loop.ranges[dy]);
  if (!h || !w || h->produced < loop.ranges[x] || w->produced < loop.ranges[y]) return std::nullopt;
  const Size2 kernel{loop.ranges[dx], loop.ranges[dy]};
  // PyTorch's rule, which the pooling ops keep: padding at most half the window.
  if (std::max(h->before, h->after) > kernel.h / 2 ||
      std::max(w->before, w->after) > kernel.w / 2) {
    return std::nullopt;
  }
  const Pad2d padding(h->before, h->after, w->before, w->after);
  const Size2 stride{h->stride, w->stride};
  const int lt = l.tensor;
  const int64_t rows = loop.ranges[x], cols = loop.ranges[y];
  if (r.reduction == Reduction::max) {
    const MaxPool2dOptions options{.kernel = kernel,
                                   .stride = stride,
                                   .padding = padding,
                                   .dilation = {h->dilation, w->dilation}};
    return Lowering{.kernel = describe_window("max_pool2d", *h, *w, 1),
                    .run = [=](std::vector<Tensor>& v) {
                      return rows_and_cols(max_pool2d(v[lt], options), rows, cols);
                    }};
  }
  if (h->dilation != 1 || w->dilation != 1) return std::nullopt;
  const AvgPool2dOptions options{.kernel = kernel, .stride = stride, .padding = padding};
  return Lowering{.kernel = describe_window("avg_pool2d", *h, *w, 1),
                  .run = [=](std::vector<Tensor>& v) {
                    return rows_and_cols(avg_pool2d(v[lt], options), rows, cols);
                  }};
}

// Y[b,j] = mean(x, y: L[b,x,y,j])
std::optional<Lowering> lower_global_pool(const Loop& loop, const std::vector<Shape>& /*shapes*/) {
  const Statement& s = loop.statement;
  const Expr& r = *s.rhs;
  if (s.left.size() != 2 || r.kind != Expr::Kind::reduce || r.reduction != Reduction::mean ||
      r.vars.size() != 2) {
    return std::nullopt;
  }
  const Expr& l = *r.args[0];
  if (l.kind != Expr::Kind::read || l.index.size() != 4 || !is_var(*l.index[0], s.left[0]) ||
      !is_var(*l.index[1], r.vars[0]) || !is_var(*l.index[2], r.vars[1]) ||
      !is_var(*l.index[3], s.left[1])) {
    return std::nullopt;
  }
  const int lt = l.tensor;
  return Lowering{.kernel = "global_avg_pool2d", .run = [=](std::vector<Tensor>& v) {
                    const Tensor y = global_avg_pool2d(v[lt]);
                    return y.reshape({y.size(0), y.size(3)});
                  }};
}

// The lecture's option-A shortcut: Y[b,x,y,j] = L[b, s*x, s*y, j] with x < ceil(H / s) and
// j < J >= C (the new channels read outside L: zeros).
std::optional<Lowering> lower_shortcut(const Loop& loop, const std::vector<Shape>& shapes) {
  const Statement& s = loop.statement;
  const Expr& l = *s.rhs;
  if (s.left.size() != 4 || l.kind != Expr::Kind::read || l.index.size() != 4 ||
      !is_var(*l.index[0], s.left[0]) || !is_var(*l.index[3], s.left[3])) {
    return std::nullopt;
  }
  const auto h = affine_of(*l.index[1]);
  const auto w = affine_of(*l.index[2]);
  if (!h || !w || h->constant != 0 || w->constant != 0 || h->coef.size() != 1 ||
      w->coef.size() != 1 || !h->coef.contains(s.left[1]) || !w->coef.contains(s.left[2])) {
    return std::nullopt;
  }
  const int64_t stride = h->coef.at(s.left[1]);
  const Shape& ls = shapes[l.tensor];
  const int64_t channels = loop.ranges[s.left[3]];
  if (stride < 1 || w->coef.at(s.left[2]) != stride ||
      loop.ranges[s.left[1]] != (ls[1] + stride - 1) / stride ||
      loop.ranges[s.left[2]] != (ls[2] + stride - 1) / stride || channels < ls[3] ||
      loop.ranges[s.left[0]] != ls[0]) {
    return std::nullopt;
  }
  const int lt = l.tensor;
  return Lowering{
      .kernel = "shortcut_identity(stride " + std::to_string(stride) + ")",
      .run = [=](std::vector<Tensor>& v) { return shortcut_identity(v[lt], stride, channels); }};
}

// ---- batch normalization ----

// The additive terms of e with their signs.
void additive_terms(const ExprPtr& e, bool positive,
                    std::vector<std::pair<const Expr*, bool>>& out) {
  if (is_call(*e, Fn::add) || is_call(*e, Fn::sub)) {
    additive_terms(e->args[0], positive, out);
    additive_terms(e->args[1], e->fn == Fn::add ? positive : !positive, out);
    return;
  }
  out.emplace_back(e.get(), positive);
}

// The factors of a product or quotient: numerators and denominators.
void factors(const Expr* e, bool numerator, std::vector<const Expr*>& up,
             std::vector<const Expr*>& down) {
  if (is_call(*e, Fn::mul) || is_call(*e, Fn::div)) {
    factors(e->args[0].get(), numerator, up, down);
    factors(e->args[1].get(), e->fn == Fn::mul ? numerator : !numerator, up, down);
    return;
  }
  (numerator ? up : down).push_back(e);
}

bool reads_at(const Expr& e, const std::vector<int>& vars) {
  if (e.kind != Expr::Kind::read || e.index.size() != vars.size()) return false;
  for (size_t k = 0; k < vars.size(); ++k) {
    if (!is_var(*e.index[k], vars[k])) return false;
  }
  return true;
}

// L[b,x,y,j] - mu[j]: L's and mu's tensors.
bool centered(const Expr& e, const std::vector<int>& all, int j, int& l, int& mu) {
  if (!is_call(e, Fn::sub) || !reads_at(*e.args[0], all) || !reads_at(*e.args[1], {j}))
    return false;
  l = e.args[0]->tensor;
  mu = e.args[1]->tensor;
  return true;
}

// mean(b, x, y: body) over L's first three axes, as statement `loop` defines it; the body.
const Expr* mean_over_batch(const Loop& loop) {
  const Statement& s = loop.statement;
  const Expr& r = *s.rhs;
  if (s.left.size() != 1 || r.kind != Expr::Kind::reduce || r.reduction != Reduction::mean ||
      r.vars.size() != 3) {
    return nullptr;
  }
  return r.args[0].get();
}

// Y[b,x,y,j] = [relu](G[j] * (L[b,x,y,j] - mu[j]) / sqrt(var[j] + eps) + Beta[j] [+ R[b,x,y,j]])
// with, in training, mu[j] = mean(b,x,y: L[b,x,y,j]) and
// var[j] = mean(b,x,y: (L[b,x,y,j] - mu[j])^2) defined by earlier statements (their kernel is
// this one), and in evaluation mu and var given (the running statistics).
std::optional<Lowering> lower_batch_norm(const Program& program, const std::vector<Loop>& loops,
                                         const std::vector<Shape>& shapes, size_t index,
                                         std::vector<std::optional<Lowering>>& result) {
  const Statement& s = loops[index].statement;
  if (s.left.size() != 4) return std::nullopt;
  const int j = s.left[3];
  const bool relu_after = is_call(*s.rhs, Fn::relu);
  const ExprPtr body = relu_after ? s.rhs->args[0] : s.rhs;
  std::vector<std::pair<const Expr*, bool>> terms;
  additive_terms(body, true, terms);
  const Expr* product = nullptr;
  int beta = -1, residual = -1;
  for (const auto& [t, positive] : terms) {
    if (!positive) return std::nullopt;
    if (reads_at(*t, {j})) {
      if (beta >= 0) return std::nullopt;
      beta = t->tensor;
    } else if (reads_at(*t, s.left)) {
      if (residual >= 0) return std::nullopt;
      residual = t->tensor;
    } else {
      if (product != nullptr) return std::nullopt;
      product = t;
    }
  }
  if (product == nullptr) return std::nullopt;
  std::vector<const Expr*> up, down;
  factors(product, true, up, down);
  int l = -1, mu = -1, gamma = -1, var = -1;
  double eps = 0;
  for (const Expr* f : up) {
    if (l < 0 && centered(*f, s.left, j, l, mu)) continue;
    if (gamma < 0 && reads_at(*f, {j})) {
      gamma = f->tensor;
      continue;
    }
    return std::nullopt;
  }
  if (l < 0 || down.size() != 1 || !is_call(*down[0], Fn::sqrt)) return std::nullopt;
  const Expr& inside = *down[0]->args[0];
  if (!is_call(inside, Fn::add)) return std::nullopt;
  const Expr* variance = inside.args[0].get();
  const Expr* epsilon = inside.args[1].get();
  if (variance->kind == Expr::Kind::number) std::swap(variance, epsilon);
  if (!reads_at(*variance, {j}) || epsilon->kind != Expr::Kind::number || !(epsilon->number > 0)) {
    return std::nullopt;
  }
  var = variance->tensor;
  eps = epsilon->number;
  if (l == residual || beta == gamma) return std::nullopt;

  const int mean_by = program.tensors[mu].defined_by, var_by = program.tensors[var].defined_by;
  const bool training = mean_by >= 0 || var_by >= 0;
  if (training) {
    if (mean_by < 0 || var_by < 0 || mean_by == var_by) return std::nullopt;
    // mu[j] = mean(b,x,y: L[b,x,y,j]); var[j] = mean(b,x,y: (L[b,x,y,j] - mu[j])^2).
    const Loop& ml = loops[static_cast<size_t>(mean_by)];
    const Loop& vl = loops[static_cast<size_t>(var_by)];
    const Expr* mb = mean_over_batch(ml);
    const Expr* vb = mean_over_batch(vl);
    if (mb == nullptr || vb == nullptr) return std::nullopt;
    const auto over = [](const Loop& loop) {
      const auto& r = *loop.statement.rhs;
      return std::vector<int>{r.vars[0], r.vars[1], r.vars[2], loop.statement.left[0]};
    };
    if (!reads_at(*mb, over(ml)) || mb->tensor != l) return std::nullopt;
    if (!is_call(*vb, Fn::pow) || vb->exponent != 2) return std::nullopt;
    int l2 = -1, mu2 = -1;
    if (!centered(*vb->args[0], over(vl), vl.statement.left[0], l2, mu2) || l2 != l || mu2 != mu) {
      return std::nullopt;
    }
    // Nothing else reads the statistics (their values come from the kernel, without a graph).
    for (size_t k = 0; k < loops.size(); ++k) {
      if (k == index || static_cast<int>(k) == var_by) continue;
      std::vector<const Expr*> stack = {loops[k].statement.rhs.get()};
      while (!stack.empty()) {
        const Expr* x = stack.back();
        stack.pop_back();
        if (x->kind == Expr::Kind::read && (x->tensor == mu || x->tensor == var))
          return std::nullopt;
        for (const ExprPtr& a : x->args) stack.push_back(a.get());
      }
    }
    result[static_cast<size_t>(mean_by)] =
        Lowering{.kernel = "(batch_norm)",
                 .run = [](std::vector<Tensor>&) { return Tensor(); },
                 .deferred = true};
    result[static_cast<size_t>(var_by)] = result[static_cast<size_t>(mean_by)];
  }
  const Shape& ls = shapes[l];
  const double count = static_cast<double>(ls[0] * ls[1] * ls[2]);
  std::string kernel = training ? "batch_norm" : "batch_norm (evaluation)";
  std::function<bool(const std::vector<Tensor>&)> applies;
  if (!training) {
    applies = [=](const std::vector<Tensor>& v) {
      return !v[mu].requires_grad() && !v[var].requires_grad();
    };
  }
  if (residual >= 0) kernel += " + residual";
  if (relu_after) kernel += ", relu";
  return Lowering{
      .kernel = kernel,
      .run =
          [=](std::vector<Tensor>& v) {
            const Tensor g = gamma >= 0 ? v[gamma] : Tensor();
            const Tensor b = beta >= 0 ? v[beta] : Tensor();
            const Tensor r = residual >= 0 ? v[residual] : Tensor();
            if (!training) {
              Tensor y = batch_norm(v[l], v[mu], v[var], g, b,
                                    {.training = false, .eps = static_cast<float>(eps)});
              if (r.defined()) y = add(y, r);
              return relu_after ? relu(y) : y;
            }
            // Running estimates with momentum 1 are the batch's mean and unbiased variance: the
            // statistics statements' values, the variance made biased again.
            const int64_t channels = v[l].size(3);
            Tensor mean = Tensor::zeros({channels}), unbiased = Tensor::ones({channels});
            const BatchNormOptions options{
                .training = true, .momentum = 1.0f, .eps = static_cast<float>(eps)};
            Tensor y;
            if (relu_after) {
              y = batch_norm_relu(v[l], mean, unbiased, g, b, options, r);
            } else {
              y = batch_norm(v[l], mean, unbiased, g, b, options);
              if (r.defined()) y = add(y, r);
            }
            v[mu] = mean;
            v[var] = count > 1
                         ? mul(unbiased, Tensor::scalar(static_cast<float>((count - 1) / count)))
                         : unbiased;
            return y;
          },
      .deferred = false,
      .applies = applies};
}

}  // namespace

std::vector<std::optional<Lowering>> lower(const Program& program, const std::vector<Loop>& loops,
                                           const std::vector<Shape>& shapes) {
  std::vector<std::optional<Lowering>> result(loops.size());
  for (size_t k = 0; k < loops.size(); ++k) {
    if (result[k]) continue;  // deferred to a later statement's kernel
    if (auto l = lower_batch_norm(program, loops, shapes, k, result)) {
      result[k] = l;
    } else if (auto c = lower_conv(loops[k], shapes)) {
      result[k] = c;
    } else if (auto f = lower_linear(loops[k], shapes)) {
      result[k] = f;
    } else if (auto p = lower_pool(loops[k], shapes)) {
      result[k] = p;
    } else if (auto g = lower_global_pool(loops[k], shapes)) {
      result[k] = g;
    } else if (auto sc = lower_shortcut(loops[k], shapes)) {
      result[k] = sc;
    }
  }
  return result;
}

}  // namespace cnn::formulas
