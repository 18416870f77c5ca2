// Module registration, traversal, observed calls, modes and descriptions. Checkpoint loading
// lives in state_dict.cpp.
#include "cnn/nn/module.h"
#include "nn/observed.h"

#include <sstream>
#include <unordered_set>

namespace cnn::nn {
namespace {

// The observer of module calls on this thread (ObserveForwards), null when none.
thread_local ForwardObserver* forward_observer = nullptr;

// Suspends observation while an observer's callback runs, so calls it makes are not reported.
class SuspendObserver {
 public:
  SuspendObserver() : observer_(forward_observer) { forward_observer = nullptr; }
  ~SuspendObserver() { forward_observer = observer_; }
  SuspendObserver(const SuspendObserver&) = delete;
  SuspendObserver& operator=(const SuspendObserver&) = delete;

 private:
  ForwardObserver* observer_;
};

// Depth-first walk over (prefix + name, tensor) of one kind of tensor. `seen` deduplicates
// tensors registered under several names (shared weights), keeping the first name.
template <class Select>
void collect_named(const Module& module, const std::string& prefix, bool recurse, Select select,
                   std::unordered_set<const TensorImpl*>& seen, std::vector<NamedTensor>& out) {
  for (const auto& [name, tensor] : select(module)) {
    if (seen.insert(tensor.impl().get()).second) out.emplace_back(prefix + name, tensor);
  }
  if (!recurse) return;
  for (const auto& [name, child] : module.named_children()) {
    collect_named(*child, prefix + name + ".", true, select, seen, out);
  }
}

void describe_into(const Module& module, const std::string& indent, std::ostringstream& out) {
  const auto& children = module.named_children();
  out << module.name();
  if (children.empty()) return;
  out << "(\n";
  for (const auto& [name, child] : children) {
    out << indent << "  (" << name << "): ";
    describe_into(*child, indent + "  ", out);
    out << '\n';
  }
  out << indent << ')';
}

}  // namespace

Tensor Module::forward(const Tensor& /*x*/) {
  fail(type_, "::forward: this module has no single-input forward; call its own methods");
}

Tensor Module::operator()(const Tensor& x) {
  if (forward_observer == nullptr) return forward(x);
  return observed_call(x, [&] { return forward(x); });
}

Tensor Module::observed_call(const Tensor& x, const std::function<Tensor()>& compute) {
  ForwardObserver* observer = forward_observer;
  if (observer == nullptr) return compute();
  {
    SuspendObserver suspend;
    observer->before_forward(*this, x);
  }
  Tensor y = compute();
  SuspendObserver suspend;
  observer->after_forward(*this, x, y);
  return y;
}

ObserveForwards::ObserveForwards(ForwardObserver& observer) : previous_(forward_observer) {
  forward_observer = &observer;
}

ObserveForwards::~ObserveForwards() {
  forward_observer = previous_;
}

bool detail::forwards_observed() {
  return forward_observer != nullptr;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  out.reserve(children_.size());
  for (const auto& entry : children_) out.push_back(entry.second);
  return out;
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  std::string known;
  for (const auto& [child_name, module] : children_) {
    if (child_name == name) return module;
    known += (known.empty() ? "'" : ", '") + child_name + "'";
  }
  fail(type_, "::child: no child named '", name, "' (children: ", known.empty() ? "none" : known,
       ")");
}

std::vector<NamedTensor> Module::named_parameters(bool recurse) const {
  std::unordered_set<const TensorImpl*> seen;
  std::vector<NamedTensor> out;
  collect_named(
      *this, "", recurse, [](const Module& m) -> const auto& { return m.parameters_; }, seen, out);
  return out;
}

std::vector<NamedTensor> Module::named_buffers(bool recurse) const {
  std::unordered_set<const TensorImpl*> seen;
  std::vector<NamedTensor> out;
  collect_named(
      *this, "", recurse, [](const Module& m) -> const auto& { return m.buffers_; }, seen, out);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& entry : named_parameters(recurse)) out.push_back(std::move(entry.second));
  return out;
}

int64_t Module::parameter_count() const {
  int64_t count = 0;
  for (const Tensor& p : parameters()) count += p.numel();
  return count;
}

void Module::train(bool on) {
  training_ = on;
  for (const auto& entry : children_) entry.second->train(on);
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.set_grad(Tensor());
}

void Module::check_new_name(const std::string& name, const char* what) const {
  CNN_CHECK(!name.empty(), type_, "::", what, ": the name is empty");
  CNN_CHECK(name.find('.') == std::string::npos, type_, "::", what, ": name '", name,
            "' contains '.', which separates the levels of state_dict keys");
  auto taken = [&](const auto& entries) {
    for (const auto& entry : entries) {
      if (entry.first == name) return true;
    }
    return false;
  };
  CNN_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_), type_, "::", what,
            ": name '", name, "' is already registered in this module");
}

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  check_new_name(name, "register_parameter");
  CNN_CHECK(value.defined(), type_, "::register_parameter: '", name, "' is an undefined tensor");
  CNN_CHECK(value.dtype() == DType::f32, type_, "::register_parameter: '", name,
            "' must be float32, got ", dtype_name(value.dtype()), " of shape ",
            to_string(value.shape()));
  CNN_CHECK(value.is_leaf(), type_, "::register_parameter: '", name,
            "' is the output of an op; register a leaf (detach() it first)");
  // Optimizers and load_state_dict write parameters through their dense data.
  CNN_CHECK(value.is_contiguous(), type_, "::register_parameter: '", name,
            "' must be contiguous, got shape ", to_string(value.shape()), " with strides ",
            to_string(value.strides()));
  value.requires_grad_(true);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name, "register_buffer");
  CNN_CHECK(value.defined(), type_, "::register_buffer: '", name, "' is an undefined tensor");
  CNN_CHECK(value.is_contiguous(), type_, "::register_buffer: '", name,
            "' must be contiguous, got shape ", to_string(value.shape()), " with strides ",
            to_string(value.strides()));
  CNN_CHECK(!value.requires_grad(), type_, "::register_buffer: '", name,
            "' requires grad; register it as a parameter, or detach() it");
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "register_module");
  CNN_CHECK(module.get() != this, type_, "::register_module: '", name, "' is the module itself");
  children_.emplace_back(name, std::move(module));
}

std::string describe(const Module& module) {
  std::ostringstream out;
  describe_into(module, "", out);
  return out.str();
}

}  // namespace cnn::nn
