/// \file
/// Module: a layer or a network, holding named parameters (trainable leaf tensors), buffers
/// (state that is saved but not trained, e.g. BatchNorm's running statistics) and named
/// sub-modules, all in registration order, as torch.nn.Module does.
///
/// Names compose with dots: a parameter `weight` of the child `conv1` of the child `0` of the
/// child `layer1` is `layer1.0.conv1.weight` in state_dict(), the very key torchvision uses,
/// so weights move between the two by name alone (the layout of convolution weights differs:
/// ours are HWIO, torchvision's OIHW; the conversion belongs to import/export, see
/// docs/MODULES.md).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cnn/error.h"
#include "cnn/nn/state_dict.h"
#include "cnn/tensor.h"

namespace cnn::nn {

/// What a non-strict load_state_dict skipped (a strict load raises instead).
struct LoadResult {
  std::vector<std::string> missing_keys;     ///< expected by the module, absent from the dict
  std::vector<std::string> unexpected_keys;  ///< in the dict, unknown to the module
};

class Module {
 public:
  /// `type` names the kind of module in descriptions: "Conv2d", "Sequential", "BasicBlock".
  explicit Module(std::string type = "Module") : type_(std::move(type)) {}
  virtual ~Module() = default;
  /// A module is shared through std::shared_ptr; copying would silently alias parameters.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The computation of a single-input module. Modules with several inputs define their own
  /// methods; the default raises cnn::Error naming the module.
  virtual Tensor forward(const Tensor& x);
  /// Calls forward(x) and, while a ForwardObserver is installed on this thread, reports the
  /// call to it. Composite modules must call their children this way, `(*conv1_)(x)`, not
  /// through `conv1_->forward(x)`: a child called directly is invisible to observers, so
  /// summaries (cnn::nn::summarize) would miss its shape and its multiply-adds.
  Tensor operator()(const Tensor& x);
  /// For a module with several inputs: runs `compute` (its forward on all of them) and reports
  /// the call to an installed ForwardObserver as operator() reports forward(x), with `x` as the
  /// input, so that summaries see modules such as a batch norm that also takes a residual.
  Tensor observed_call(const Tensor& x, const std::function<Tensor()>& compute);

  /// One line describing the module and its configuration, e.g.
  /// "Conv2d(3, 64, kernel=(3, 3), stride=(1, 1), padding=1)". Defaults to the type.
  virtual std::string name() const { return type_; }
  const std::string& type() const { return type_; }
  /// The version of the state_dict format of the PyTorch module this one mirrors (PyTorch's
  /// class attribute `_version`): 1 unless the class says otherwise (BatchNorm2d 2, MNASNet 2).
  /// io::save_weights writes it into a .pth's `_metadata`, where loaders that check it
  /// (torchvision's MNASNet refuses a state_dict without one) find it.
  virtual int64_t state_version() const { return 1; }

  // ---- the module tree ----
  /// Direct children, in registration order.
  std::vector<std::shared_ptr<Module>> children() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const {
    return children_;
  }
  /// The child registered as `name`; raises cnn::Error listing the children when absent.
  std::shared_ptr<Module> child(const std::string& name) const;

  /// Parameters of this module and (with recurse) its descendants, depth first in registration
  /// order; a tensor reachable under two names appears once, under the first.
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<NamedTensor> named_parameters(bool recurse = true) const;
  std::vector<NamedTensor> named_buffers(bool recurse = true) const;
  /// Total element count of parameters(), PyTorch's sum(p.numel() for p in m.parameters()).
  int64_t parameter_count() const;

  // ---- mode ----
  /// Sets training mode on this module and every descendant (BatchNorm and Dropout read it).
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Drops the accumulated gradient of every parameter (grad() becomes undefined, PyTorch's
  /// zero_grad(set_to_none=True)).
  void zero_grad();

  // ---- checkpoints ----
  /// Every parameter, then every buffer, of this module, then each child's entries under the
  /// prefix "<child>.", recursively: PyTorch's order and names. Values share storage with the
  /// module (detached: clone() them to keep a snapshot).
  StateDict state_dict() const;
  /// Copies values into the existing tensors in place, so the parameters keep their identity
  /// (optimizers holding them stay valid). First validates everything: a missing key (strict),
  /// an unexpected key (strict), a shape or dtype mismatch (always) -> one cnn::Error listing
  /// every problem, and nothing is modified. A non-strict load reports what it skipped.
  LoadResult load_state_dict(const StateDict& state, bool strict = true);

 protected:
  /// Registers a float32 contiguous tensor as a trainable leaf (requires_grad is set on it).
  /// Returns the same handle; keep it in a member to use in forward().
  Tensor register_parameter(const std::string& name, Tensor value);
  /// Registers state saved in state_dict() but not trained (requires_grad is not set).
  Tensor register_buffer(const std::string& name, Tensor value);
  /// Registers a child module and returns it with its own type.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    CNN_CHECK(module != nullptr, type_, "::register_module: module '", name, "' is null");
    add_child(name, module);
    return module;
  }

 private:
  void check_new_name(const std::string& name, const char* what) const;
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void collect_state(const std::string& prefix, std::vector<NamedTensor>& out) const;

  std::string type_;
  bool training_ = true;
  std::vector<NamedTensor> parameters_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

/// Watches the module calls made through Module::operator() on one thread, e.g. to record
/// each layer's output shape (cnn::nn::summarize), as PyTorch's forward hooks do. Calls are
/// reported in execution order: a composite's before_forward, then its children's calls, then
/// its after_forward. While a callback runs, observation is suspended, so a callback may run
/// modules itself without being told about them. A forward that throws reports no after_forward.
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  virtual void before_forward(const Module& /*module*/, const Tensor& /*input*/) {}
  virtual void after_forward(const Module& module, const Tensor& input, const Tensor& output) = 0;
};

/// Installs `observer` for the calls made on this thread while the guard lives, and restores
/// the previously installed one (or none) when it dies; guards nest as NoGradGuard does.
/// Without an observer, operator() costs a call and one thread-local pointer test more than
/// forward() itself.
class ObserveForwards {
 public:
  explicit ObserveForwards(ForwardObserver& observer);
  ~ObserveForwards();
  ObserveForwards(const ObserveForwards&) = delete;
  ObserveForwards& operator=(const ObserveForwards&) = delete;

 private:
  ForwardObserver* previous_;
};

/// The module tree in PyTorch's print style:
/// ```text
///   Sequential(
///     (0): Conv2d(3, 8, kernel=(3, 3), stride=(1, 1))
///     (1): ReLU()
///   )
/// ```
std::string describe(const Module& module);

}  // namespace cnn::nn
