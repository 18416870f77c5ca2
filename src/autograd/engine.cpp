// The backward engine: dependency-counted traversal of the recorded graph.
#include <cmath>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "core/strided.h"

namespace cnn::autograd {
namespace {

thread_local bool g_grad_enabled = true;
thread_local bool g_detect_anomaly = false;
thread_local const LeafGradientHook* g_leaf_hook = nullptr;

// Raises when an op produced a non-finite output, saying whether its inputs were finite.
void check_forward(const char* name, const TensorList& inputs, const TensorList& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].defined() || all_finite(outputs[i])) continue;
    for (size_t k = 0; k < inputs.size(); ++k) {
      CNN_CHECK(!inputs[k].defined() || all_finite(inputs[k]), "anomaly: input ", k, " of ", name,
                " (shape ", to_string(inputs[k].shape()),
                ") already holds NaN or infinity; it comes from outside the recorded ops (data, "
                "parameters or an op without autograd)");
    }
    fail("anomaly: NaN or infinity first appeared in output ", i, " of ", name, " (shape ",
         to_string(outputs[i].shape()), "); its inputs were finite");
  }
}

Tensor dense_copy(const Tensor& g) {
  Tensor out = Tensor::empty(g.shape());
  detail::copy_to_dense(g, out.data());
  return out;
}

Tensor add_gradients(const Tensor& a, const Tensor& b) {
  CNN_CHECK(a.shape() == b.shape(), "autograd: gradients of shapes ", to_string(a.shape()), " and ",
            to_string(b.shape()), " reached the same output");
  Tensor out = dense_copy(a);
  detail::add_from_dense(b.contiguous().data(), out);
  return out;
}

// The sink of a leaf tensor: sums every gradient that reaches it into leaf.grad().
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {
    output_shapes.push_back(leaf_->shape);
  }
  TensorList apply(const TensorList& grads) override {
    Tensor leaf(leaf_);
    const Tensor& g = grads[0];
    CNN_CHECK(g.shape() == leaf.shape(), "autograd: gradient of shape ", to_string(g.shape()),
              " reached a leaf of shape ", to_string(leaf.shape()));
    // A fresh tensor each time: a stored gradient never aliases another tensor's memory.
    leaf.set_grad(leaf.grad().defined() ? add_gradients(leaf.grad(), g) : dense_copy(g));
    if (g_leaf_hook != nullptr) (*g_leaf_hook)(leaf);
    return {};
  }
  std::string name() const override { return "AccumulateGrad"; }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

Edge edge_of(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  if (t.grad_fn()) return {t.grad_fn(), t.output_nr()};
  return {std::make_shared<AccumulateGrad>(t.impl()), 0};
}

}  // namespace

bool grad_enabled() {
  return g_grad_enabled;
}
void set_grad_enabled(bool enabled) {
  g_grad_enabled = enabled;
}

TensorList FunctionNode::apply(const TensorList& grad_outputs) {
  CNN_CHECK(backward_ != nullptr, "autograd: backward through ", name_,
            " a second time, but its saved tensors were freed by the first backward; pass "
            "retain_graph = true to the first call");
  return backward_(grad_outputs);
}

bool needs_grad(const TensorList& inputs) {
  if (!g_grad_enabled) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

const LeafGradientHook* leaf_gradient_hook() {
  return g_leaf_hook;
}

LeafGradientHookGuard::LeafGradientHookGuard(const LeafGradientHook* hook)
    : previous_(g_leaf_hook) {
  g_leaf_hook = hook;
}

LeafGradientHookGuard::~LeafGradientHookGuard() {
  g_leaf_hook = previous_;
}

bool detect_anomaly() {
  return g_detect_anomaly;
}
void set_detect_anomaly(bool enabled) {
  g_detect_anomaly = enabled;
}

bool all_finite(const Tensor& t) {
  if (!t.defined() || t.dtype() != DType::f32) return true;
  NoGradGuard no_grad;
  const Tensor c = t.contiguous();
  const float* p = c.data();
  for (int64_t i = 0; i < c.numel(); ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

void record(const char* name, const TensorList& inputs, const TensorList& outputs,
            FunctionNode::Backward backward) {
  if (g_detect_anomaly) check_forward(name, inputs, outputs);
  if (!needs_grad(inputs)) return;
  auto node = std::make_shared<FunctionNode>(name, std::move(backward));
  node->next_edges.reserve(inputs.size());
  for (const auto& t : inputs) node->next_edges.push_back(edge_of(t));
  for (size_t i = 0; i < outputs.size(); ++i) {
    node->output_shapes.push_back(outputs[i].shape());
    Tensor out = outputs[i];
    out.set_grad_fn(node, static_cast<int>(i));
  }
}

void run_backward(const TensorList& roots, const TensorList& grads, bool retain_graph) {
  CNN_CHECK(roots.size() == grads.size(), "run_backward: ", roots.size(), " roots but ",
            grads.size(), " gradients");
  std::unordered_map<Node*, TensorList> buffers;
  std::unordered_map<Node*, int> dependencies;
  std::vector<std::shared_ptr<Node>> starts;

  auto deposit = [&](const Edge& edge, const Tensor& grad) {
    const auto& expected = edge.node->output_shapes[static_cast<size_t>(edge.input_nr)];
    CNN_CHECK(grad.shape() == expected, "autograd: a gradient of shape ", to_string(grad.shape()),
              " was passed to ", edge.node->name(), " whose output has shape ",
              to_string(expected));
    TensorList& buf = buffers[edge.node.get()];
    if (buf.empty()) buf.resize(edge.node->output_shapes.size());
    Tensor& slot = buf[static_cast<size_t>(edge.input_nr)];
    slot = slot.defined() ? add_gradients(slot, grad) : grad;
  };

  for (size_t i = 0; i < roots.size(); ++i) {
    Edge e = edge_of(roots[i]);
    CNN_CHECK(e.node != nullptr, "backward(): root ", i, " does not require grad");
    deposit(e, grads[i]);
    starts.push_back(e.node);
  }

  // Count, for every node reachable from the roots, how many edges lead into it.
  {
    std::unordered_set<Node*> seen;
    std::vector<Node*> stack;
    for (auto& s : starts)
      if (seen.insert(s.get()).second) stack.push_back(s.get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const Edge& e : n->next_edges) {
        if (!e.node) continue;
        ++dependencies[e.node.get()];
        if (seen.insert(e.node.get()).second) stack.push_back(e.node.get());
      }
    }
  }

  std::deque<std::shared_ptr<Node>> ready;
  {
    std::unordered_set<Node*> queued;
    for (auto& s : starts)
      if (dependencies[s.get()] == 0 && queued.insert(s.get()).second) ready.push_back(s);
  }

  NoGradGuard no_grad;
  while (!ready.empty()) {
    std::shared_ptr<Node> node = ready.front();
    ready.pop_front();
    TensorList inputs = std::move(buffers[node.get()]);
    buffers.erase(node.get());
    inputs.resize(node->output_shapes.size());
    for (size_t i = 0; i < node->output_shapes.size(); ++i)
      if (!inputs[i].defined()) inputs[i] = Tensor::zeros(node->output_shapes[i]);

    // Ops called inside a backward are not checked one by one: the node's results are, so the
    // message names the node rather than a helper op it used.
    const bool detecting = g_detect_anomaly;
    g_detect_anomaly = false;
    TensorList out;
    try {
      out = node->apply(inputs);
    } catch (...) {
      g_detect_anomaly = detecting;
      throw;
    }
    g_detect_anomaly = detecting;
    if (!retain_graph) node->release();
    if (detecting) {
      for (size_t i = 0; i < out.size(); ++i) {
        CNN_CHECK(all_finite(out[i]),
                  "anomaly: NaN or infinity first appeared in the gradient that ", node->name(),
                  "'s backward computed for its input ", i, " (shape ", to_string(out[i].shape()),
                  ")");
      }
    }
    CNN_CHECK(out.size() == node->next_edges.size() || node->next_edges.empty(),
              "autograd: ", node->name(), " returned ", out.size(), " gradients for ",
              node->next_edges.size(), " inputs");
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.node) continue;
      if (out[i].defined()) deposit(e, out[i]);
      if (--dependencies[e.node.get()] == 0) ready.push_back(e.node);
    }
  }
}

}  // namespace cnn::autograd
