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
#include "cnn/ops/pool.h"

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
  const int64_t span = extent + w.before + w.after - w.dilation * (taps - 1) - 1;
  if (span < 0) return std::nullopt;
  w.produced = span / w.stride + 1;
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
  const Expr& body = *e.core->args[0];
  if (!is_call(body, Fn::mul) || body.args[0]->kind != Expr::Kind::read ||
      body.args[1]->kind != Expr::Kind::read) {
    return std::nullopt;
  }
  const Expr* w = body.args[0].get();
  const Expr* l = body.args[1].get();
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
      .kernel = kernel, .run = [=](const std::vector<Tensor>& v) {
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
  const Expr& body = *e.core->args[0];
  if (!is_call(body, Fn::mul) || body.args[0]->kind != Expr::Kind::read ||
      body.args[1]->kind != Expr::Kind::read) {
    return std::nullopt;
  }
  const Expr* w = body.args[0].get();
  const Expr* l = body.args[1].get();
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
  return Lowering{.kernel = kernel, .run = [=](const std::vector<Tensor>& v) {
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
                    .run = [=](const std::vector<Tensor>& v) {
                      return rows_and_cols(max_pool2d(v[lt], options), rows, cols);
                    }};
  }
  if (h->dilation != 1 || w->dilation != 1) return std::nullopt;
  const AvgPool2dOptions options{.kernel = kernel, .stride = stride, .padding = padding};
  return Lowering{.kernel = describe_window("avg_pool2d", *h, *w, 1),
                  .run = [=](const std::vector<Tensor>& v) {
                    return rows_and_cols(avg_pool2d(v[lt], options), rows, cols);
                  }};
}

}  // namespace

std::optional<Lowering> lower(const Loop& loop, const std::vector<Shape>& shapes) {
  if (auto l = lower_conv(loop, shapes)) return l;
  if (auto l = lower_linear(loop, shapes)) return l;
  if (auto l = lower_pool(loop, shapes)) return l;
  return std::nullopt;
}

}  // namespace cnn::formulas
