#include "onnx/export_trace.h"

#include <functional>
#include <utility>

#include "cnn/autograd.h"
#include "cnn/error.h"

namespace cnn::onnx::exporter {
namespace {

// Receives the op reports and the module calls; knows each module's path in the tree.
class Recorder final : public trace::Tracer, public nn::ForwardObserver {
 public:
  explicit Recorder(const nn::Module& root) { index(root, ""); }

  void before_forward(const nn::Module& module, const Tensor& /*input*/) override {
    stack_.push_back(&module);
  }
  void after_forward(const nn::Module& /*module*/, const Tensor&, const Tensor&) override {
    if (!stack_.empty()) stack_.pop_back();
  }
  void record(trace::OpCall call) override {
    TracedOp op{std::move(call), "", false};
    if (!stack_.empty()) {
      const auto it = paths_.find(stack_.back());
      if (it != paths_.end()) {
        op.module = it->second;
        op.leaf = stack_.back()->named_children().empty();
      }
    }
    ops.push_back(std::move(op));
  }

  std::vector<TracedOp> ops;

 private:
  void index(const nn::Module& m, const std::string& path) {
    if (!paths_.emplace(&m, path).second) return;  // reachable twice: the first name
    for (const auto& [name, child] : m.named_children())
      index(*child, path.empty() ? name : std::string(path).append(".").append(name));
  }

  std::unordered_map<const nn::Module*, std::string> paths_;
  std::vector<const nn::Module*> stack_;
};

// Every module's training flag, to put back after the export (train(on) recurses, so
// restoring in pre-order leaves each module as it was).
std::vector<std::pair<nn::Module*, bool>> training_flags(nn::Module& root) {
  std::vector<std::pair<nn::Module*, bool>> flags;
  std::function<void(nn::Module&)> walk = [&](nn::Module& m) {
    flags.emplace_back(&m, m.is_training());
    for (const auto& [name, child] : m.named_children()) walk(*child);
  };
  walk(root);
  return flags;
}

class RestoreState {
 public:
  explicit RestoreState(nn::Module& root)
      : flags_(training_flags(root)), grad_(autograd::grad_enabled()) {}
  ~RestoreState() {
    for (auto& [m, on] : flags_) m->train(on);
    autograd::set_grad_enabled(grad_);
  }
  RestoreState(const RestoreState&) = delete;
  RestoreState& operator=(const RestoreState&) = delete;

 private:
  std::vector<std::pair<nn::Module*, bool>> flags_;
  bool grad_;
};

std::string op_where(const TracedOp& op) {
  std::string s = "op '" + op.call.op + "'";
  if (!op.module.empty()) s.append(" in module '").append(op.module).append("'");
  return s;
}

void classify(nn::Module& module, Trace& t) {
  std::unordered_map<const TensorImpl*, std::string> keys;
  for (const auto& [name, p] : module.named_parameters()) keys.emplace(p.impl().get(), name);
  for (const auto& [name, b] : module.named_buffers()) keys.emplace(b.impl().get(), name);

  t.origins[t.input.impl().get()] = Origin{Origin::input, 0, 0, "", false};
  for (size_t i = 0; i < t.ops.size(); ++i) {
    const trace::OpCall& call = t.ops[i].call;
    bool all_const = true;
    for (const Tensor& in : call.inputs) {
      if (!in.defined()) continue;
      auto it = t.origins.find(in.impl().get());
      if (it == t.origins.end()) {
        const auto key = keys.find(in.impl().get());
        if (key != keys.end()) {
          it =
              t.origins.emplace(in.impl().get(), Origin{Origin::parameter, 0, 0, key->second, true})
                  .first;
        } else {
          // Not a parameter and not computed by a traced op: a constant, unless it carries a
          // graph record, which means some op computed it without reporting itself.
          CNN_CHECK(in.grad_fn() == nullptr, "onnx export: ", op_where(t.ops[i]),
                    " reads a tensor of shape ", to_string(in.shape()), " computed by '",
                    in.grad_fn()->name(),
                    "', an op the exporter cannot see (it does not report itself to the tracer, "
                    "cnn/trace.h)");
          it = t.origins.emplace(in.impl().get(), Origin{}).first;
        }
      }
      all_const = all_const && it->second.is_const;
    }
    for (size_t k = 0; k < call.outputs.size(); ++k) {
      const Tensor& out = call.outputs[k];
      if (!out.defined()) continue;
      // The first producer wins: a later report of the same tensor would be an op that
      // returned an existing tensor.
      t.origins.emplace(out.impl().get(), Origin{Origin::op, i, k, "", all_const});
    }
  }
  if (!t.origins.count(t.output.impl().get())) {
    CNN_CHECK(t.output.grad_fn() == nullptr, "onnx export: the module's output of shape ",
              to_string(t.output.shape()), " is computed by '", t.output.grad_fn()->name(),
              "', an op the exporter cannot see (it does not report itself to the tracer, "
              "cnn/trace.h)");
    const auto key = keys.find(t.output.impl().get());
    t.origins[t.output.impl().get()] =
        key != keys.end() ? Origin{Origin::parameter, 0, 0, key->second, true} : Origin{};
  }
}

// Marks the ops the output depends on (constants need no producer) and records every use.
void find_live(Trace& t) {
  t.live.assign(t.ops.size(), false);
  std::unordered_map<const TensorImpl*, bool> needed;
  if (!t.is_const(t.output)) needed[t.output.impl().get()] = true;
  for (size_t i = t.ops.size(); i-- > 0;) {
    const trace::OpCall& call = t.ops[i].call;
    bool wanted = false;
    for (size_t k = 0; k < call.outputs.size(); ++k) {
      const Tensor& out = call.outputs[k];
      if (!out.defined() || !needed.count(out.impl().get())) continue;
      const Origin& o = t.origin(out);
      wanted = wanted || (o.kind == Origin::op && o.op_index == i);
    }
    if (!wanted) continue;
    t.live[i] = true;
    for (const Tensor& in : call.inputs)
      if (in.defined() && !t.is_const(in)) needed[in.impl().get()] = true;
  }
  for (size_t i = 0; i < t.ops.size(); ++i) {
    if (!t.live[i]) continue;
    const trace::OpCall& call = t.ops[i].call;
    for (size_t k = 0; k < call.inputs.size(); ++k)
      if (call.inputs[k].defined()) t.uses[call.inputs[k].impl().get()].push_back({i, k});
  }
  t.uses[t.output.impl().get()].push_back({kGraphOutput, 0});
}

}  // namespace

const Origin& Trace::origin(const Tensor& t) const {
  const auto it = origins.find(t.impl().get());
  CNN_CHECK(it != origins.end(), "onnx export: a tensor of shape ", to_string(t.shape()),
            " was not seen by the tracer");
  return it->second;
}

const std::vector<Use>& Trace::uses_of(const Tensor& t) const {
  static const std::vector<Use> none;
  const auto it = uses.find(t.impl().get());
  return it == uses.end() ? none : it->second;
}

Trace trace_forward(nn::Module& module, const Tensor& input) {
  Trace t;
  t.input = input.detach();
  t.input.requires_grad_(true);
  {
    RestoreState restore(module);
    module.eval();
    autograd::set_grad_enabled(true);
    Recorder recorder(module);
    {
      nn::ObserveForwards observe(recorder);
      trace::TraceOps tracing(recorder);
      t.output = module(t.input);
    }
    t.ops = std::move(recorder.ops);
  }
  CNN_CHECK(t.output.defined(), "onnx export: the module returned an undefined tensor");
  classify(module, t);
  CNN_CHECK(
      !t.is_const(t.output), "onnx export: the output of ", module.type(),
      " does not depend on its input: every op that leads to it reads only parameters and "
      "constants (or the input reached it through code the tracer does not see, cnn/trace.h)");
  find_live(t);
  return t;
}

}  // namespace cnn::onnx::exporter
