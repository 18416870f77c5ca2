#include "onnx/optimize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include "cnn/error.h"
#include "onnx/graph.h"

namespace cnn::onnx {
namespace {

using Kind = Slot::Kind;

// Drops nodes that only forward their first input: Identity (before the plans part), and
// Dropout in the inference plan unless its output is a graph output (the plans share those).
// Every use of a dropped node's output (node inputs and graph outputs) then reads its input:
// resolved in one pass, since a node's inputs come from nodes before it.
void remove_aliases(Graph& g, std::vector<Node>& plan, bool dropout) {
  const std::unordered_set<int> outputs(g.outputs.begin(), g.outputs.end());
  std::unordered_map<int, int> source;  // a dropped node's output -> what it forwarded
  const auto resolve = [&](int id) {
    const auto it = source.find(id);
    return it == source.end() ? id : it->second;
  };
  std::vector<Node> kept;
  for (Node& n : plan) {
    for (int& id : n.inputs) id = resolve(id);
    const bool alias = n.op == "Identity" ||
                       (dropout && n.op == "Dropout" &&
                        (n.outputs.size() < 2 || n.outputs[1] < 0) && !outputs.count(n.outputs[0]));
    if (alias && !n.inputs.empty() && n.inputs[0] >= 0 && n.outputs[0] >= 0) {
      source[n.outputs[0]] = n.inputs[0];
      continue;
    }
    kept.push_back(std::move(n));
  }
  for (int& id : g.outputs) id = resolve(id);
  plan = std::move(kept);
}

bool all_inputs_constant(const Graph& g, const Node& n) {
  for (int id : n.inputs)
    if (id >= 0 && g.slots[static_cast<size_t>(id)].kind != Kind::constant) return false;
  return true;
}

// Runs a node on constants at load. Errors name the file and the node; what the node may
// create is bounded by `budget`, the elements folding has left.
std::vector<Value> run_at_load(const Graph& g, const Node& n, const std::vector<Value>& args,
                               int64_t& budget) {
  const auto unprefixed = [](std::string what) {  // "onnx Conv node 'a': ..." less "onnx "
    if (what.rfind("onnx ", 0) == 0) what.erase(0, 5);
    return what;
  };
  const std::string where = "onnx: '" + g.file + "': " + unprefixed(n.where());
  RunContext context;  // evaluation mode
  context.max_elements = budget;
  std::vector<Value> results;
  try {
    results = n.def->run(n, args, context);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind("onnx", 0) == 0)
      fail("onnx: '", g.file, "': ", unprefixed(what), " (folding constants at load)");
    fail(where, ": ", what, " (folding constants at load)");
  } catch (const std::bad_alloc&) {
    fail(where, ": out of memory folding constants at load");
  }
  for (const Value& v : results) budget -= v.defined() ? v.data.numel() : 0;
  CNN_CHECK(budget >= 0, where,
            ": constant folding at load created more than the model's data allows (twice its "
            "initializers' elements, plus 2^24)");
  return results;
}

void fold_constants(Graph& g) {
  // What folding creates is bounded by the model's own data: twice the initializers'
  // elements, plus 2^24, so that a ConstantOfShape of 2^30 zeros in a file of a few hundred
  // bytes is refused before it is allocated.
  int64_t budget = (int64_t{1} << 24) + 2 * g.data_elements;
  std::vector<Node> kept;
  for (Node& n : g.nodes) {
    bool fold = n.op != "Dropout" && all_inputs_constant(g, n);
    if (n.op == "Shape" && !n.inputs.empty() && n.inputs[0] >= 0) {
      const Slot& s = g.slots[static_cast<size_t>(n.inputs[0])];
      fold = fold || (s.shape_known && std::all_of(s.known_shape.begin(), s.known_shape.end(),
                                                   [](int64_t d) { return d >= 0; }));
    }
    if (!fold) {
      kept.push_back(std::move(n));
      continue;
    }
    std::vector<Value> results;
    if (n.op == "Shape" && g.slots[static_cast<size_t>(n.inputs[0])].kind != Kind::constant) {
      // the input is known only by its declared shape: take Shape's start/end (opset 15) here
      const Shape part = shape_node_part(n, g.slots[static_cast<size_t>(n.inputs[0])].known_shape);
      results.push_back(value_of(Tensor::from_data_i64({static_cast<int64_t>(part.size())}, part)));
    } else {
      std::vector<Value> args;
      for (int id : n.inputs)
        args.push_back(id >= 0 ? g.slots[static_cast<size_t>(id)].value : Value{});
      results = run_at_load(g, n, args, budget);
    }
    for (size_t k = 0; k < n.outputs.size() && k < results.size(); ++k) {
      if (n.outputs[k] < 0) continue;
      Slot& s = g.slots[static_cast<size_t>(n.outputs[k])];
      s.kind = Kind::constant;
      s.value = results[k];
    }
  }
  g.nodes = std::move(kept);
}

void eliminate_dead(Graph& g, std::vector<Node>& plan) {
  std::vector<bool> live(g.slots.size(), false);
  for (int id : g.outputs) live[static_cast<size_t>(id)] = true;
  std::vector<bool> keep(plan.size(), false);
  for (size_t i = plan.size(); i-- > 0;) {
    for (int id : plan[i].outputs)
      if (id >= 0 && live[static_cast<size_t>(id)]) keep[i] = true;
    if (!keep[i]) continue;
    for (int id : plan[i].inputs)
      if (id >= 0) live[static_cast<size_t>(id)] = true;
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < plan.size(); ++i)
    if (keep[i]) kept.push_back(std::move(plan[i]));
  plan = std::move(kept);
}

// ---- fusion ----

// How many plan inputs and graph outputs read each slot.
std::vector<int> use_counts(const Graph& g, const std::vector<Node>& plan) {
  std::vector<int> uses(g.slots.size(), 0);
  for (const Node& n : plan)
    for (int id : n.inputs)
      if (id >= 0) ++uses[static_cast<size_t>(id)];
  for (int id : g.outputs) uses[static_cast<size_t>(id)] += 2;  // never fused away
  return uses;
}

// The one node reading `slot` (at an index after `from`) that no fusion has taken yet, or -1.
int sole_consumer(const std::vector<Node>& plan, const std::vector<bool>& removed,
                  const std::vector<int>& uses, int slot, size_t from) {
  if (slot < 0 || uses[static_cast<size_t>(slot)] != 1) return -1;
  for (size_t i = from + 1; i < plan.size(); ++i)
    for (int id : plan[i].inputs)
      if (id == slot) return removed[i] ? -1 : static_cast<int>(i);
  return -1;
}

const Value* constant_of(const Graph& g, const Node& n, size_t i) {
  if (i >= n.inputs.size() || n.inputs[i] < 0) return nullptr;
  const Slot& s = g.slots[static_cast<size_t>(n.inputs[i])];
  return s.kind == Kind::constant ? &s.value : nullptr;
}

// 1 for ReLU, 2 for ReLU6 (Clip to [0, 6]), 0 when the node is neither.
int activation_kind(const Graph& g, const Node& n) {
  if (n.op == "Relu") return 1;
  if (n.op != "Clip") return 0;
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (n.opset < 11) {
    lo = n.attrs.f("min", lo);
    hi = n.attrs.f("max", hi);
  } else {
    for (size_t i : {size_t{1}, size_t{2}}) {
      if (i >= n.inputs.size() || n.inputs[i] < 0) continue;
      const Value* v = constant_of(g, n, i);
      if (v == nullptr || v->data.numel() != 1 || v->data.dtype() != DType::f32) return 0;
      (i == 1 ? lo : hi) = v->data.to_vector()[0];
    }
  }
  if (lo != 0.0f) return 0;
  if (hi == 6.0f) return 2;
  if (std::isinf(hi) && hi > 0) return 1;
  return 0;
}

bool same_known_shape(const Graph& g, int a, int b) {
  const Slot& sa = g.slots[static_cast<size_t>(a)];
  const Slot& sb = g.slots[static_cast<size_t>(b)];
  if (!sa.shape_known || !sb.shape_known || sa.known_shape.size() != 4) return false;
  if (sa.known_shape != sb.known_shape) return false;
  for (size_t d = 1; d < 4; ++d)
    if (sa.known_shape[d] < 0) return false;
  return true;
}

void fuse_convolutions(Graph& g, std::vector<Node>& plan) {
  std::vector<bool> removed(plan.size(), false);
  std::vector<int> uses = use_counts(g, plan);
  for (size_t i = 0; i < plan.size(); ++i) {
    Node& conv = plan[i];
    // a node fused already (placed at the index of the last node it absorbed) is complete: a
    // batch norm after its residual add is not the convolution's (pre-activation ResNets)
    if (conv.op != "Conv" || removed[i] || conv.outputs.empty() || !conv.fusion.absorbed.empty())
      continue;
    // only 2-D convolutions take the fused kernels
    if (conv.inputs.size() < 2 || conv.inputs[1] < 0) continue;
    const Slot& w = g.slots[static_cast<size_t>(conv.inputs[1])];
    const bool rank4 =
        w.value.defined() ? w.value.rank() == 4 : w.shape_known && w.known_shape.size() == 4;
    if (!rank4) continue;
    ConvFusion f;
    std::vector<int> extra(5, -1);  // bn scale, bias, mean, var; residual
    int out = conv.outputs[0];
    size_t last = i;
    int next = sole_consumer(plan, removed, uses, out, last);
    if (next >= 0 && plan[static_cast<size_t>(next)].op == "BatchNormalization" &&
        plan[static_cast<size_t>(next)].inputs[0] == out &&
        plan[static_cast<size_t>(next)].outputs.size() == 1) {
      const Node& bn = plan[static_cast<size_t>(next)];
      f.batch_norm = true;
      f.bn_eps = bn.attrs.f("epsilon", 1e-5f);
      for (size_t k = 0; k < 4; ++k) extra[k] = bn.inputs[k + 1];
      f.absorbed.push_back("BatchNormalization");
      removed[static_cast<size_t>(next)] = true;
      last = static_cast<size_t>(next);
      out = bn.outputs[0];
      next = sole_consumer(plan, removed, uses, out, last);
    }
    if (next >= 0 && plan[static_cast<size_t>(next)].op == "Add") {
      const Node& add = plan[static_cast<size_t>(next)];
      const int other = add.inputs[0] == out ? add.inputs[1] : add.inputs[0];
      if (other >= 0 && other != out && same_known_shape(g, out, other)) {
        f.residual = true;
        extra[4] = other;
        f.absorbed.push_back("Add");
        removed[static_cast<size_t>(next)] = true;
        last = static_cast<size_t>(next);
        out = add.outputs[0];
        next = sole_consumer(plan, removed, uses, out, last);
      }
    }
    if (next >= 0) {
      const int act = activation_kind(g, plan[static_cast<size_t>(next)]);
      if (act != 0) {
        f.activation = act;
        f.absorbed.push_back(plan[static_cast<size_t>(next)].op);
        removed[static_cast<size_t>(next)] = true;
        last = static_cast<size_t>(next);
        out = plan[static_cast<size_t>(next)].outputs[0];
      }
    }
    if (f.absorbed.empty()) continue;
    Node fused = conv;
    fused.inputs.resize(3, -1);
    for (int id : extra) fused.inputs.push_back(id);
    fused.outputs = {out};
    fused.fusion = f;
    removed[i] = true;
    plan[last] = std::move(fused);
    removed[last] = false;
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < plan.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(plan[i]));
  plan = std::move(kept);
}

}  // namespace

void optimize(Graph& g, const LoadOptions& options) {
  if (options.remove_identities) remove_aliases(g, g.nodes, false);
  if (options.fold_constants) fold_constants(g);
  if (options.eliminate_dead_nodes) eliminate_dead(g, g.nodes);
  g.inference = g.nodes;
  if (options.remove_identities) remove_aliases(g, g.inference, true);
  if (options.fuse) fuse_convolutions(g, g.inference);
  if (options.eliminate_dead_nodes) eliminate_dead(g, g.inference);
}

}  // namespace cnn::onnx
