/// \file
/// Optimizer: the part every update rule shares. It holds the parameters (the very tensors a
/// module trains, e.g. module.parameters()), the learning rate (which an LrScheduler drives),
/// the count of step() calls, and per-parameter state tensors ("slots": momentum buffers, Adam's
/// moments) that a subclass declares and updates. The base class owns the slots so that
/// state_dict() / load_state_dict() work the same way for every rule.
///
/// A parameter whose gradient is undefined is skipped by step(): its slots are left exactly as
/// they were (PyTorch's `if p.grad is None: continue`). Slots are allocated on a parameter's
/// first update, so a parameter never updated has none.
///
/// Checkpoint keys (nn::StateDict, ready for io::save_safetensors):
/// ```text
///   "step"                 i64 scalar: how many times step() was called
///   "param_count"          i64 scalar: how many parameters the optimizer holds
///   "param.<i>.<slot>"     parameter i's slot, e.g. "param.3.exp_avg" (f32, the parameter's
///                          shape) or "param.3.step" (i64 scalar, Adam's per-parameter count)
/// ```
/// Parameters are numbered in the order they were given to the constructor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/nn/state_dict.h"
#include "cnn/tensor.h"

namespace cnn::optim {

/// A per-parameter state tensor of an update rule: a float32 buffer shaped like the parameter,
/// or an int64 scalar counter. New slots are zero-filled.
enum class SlotKind { like_param, counter };
struct StateSlot {
  std::string name;
  SlotKind kind;
};

class Optimizer {
 public:
  /// `name` ("SGD", "Adam", ...) starts every error message. Raises cnn::Error when the list is
  /// empty, a parameter is undefined, not a float32 contiguous leaf, or listed twice, or when
  /// `lr` is negative or not finite.
  Optimizer(std::string name, std::vector<Tensor> params, float lr);
  virtual ~Optimizer() = default;
  /// An optimizer refers to live parameters; a copy would silently share or fork their state.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// Applies one update to every parameter that has a gradient. Every gradient's shape and
  /// dtype are checked before any parameter changes.
  void step();
  /// Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  float lr() const { return lr_; }
  /// Raises cnn::Error when `lr` is negative or not finite.
  void set_lr(float lr);
  /// How many times step() has been called.
  int64_t step_count() const { return step_count_; }
  const std::string& name() const { return name_; }
  const std::vector<Tensor>& params() const { return params_; }

  /// The state described at the top of this file. Slot tensors share storage with the
  /// optimizer (clone() them to keep a snapshot while training goes on).
  nn::StateDict state_dict() const;
  /// Replaces the state with copies of `state`'s tensors. Validates everything first: the
  /// parameter count, every key (unknown keys are errors), each parameter's slots (all or
  /// none), shapes and dtypes; one cnn::Error lists every problem and nothing is modified,
  /// so state from another model or another rule never half-loads.
  void load_state_dict(const nn::StateDict& state);

 protected:
  /// The slots this rule keeps for each parameter, in a fixed order (may depend on options).
  virtual std::vector<StateSlot> slots() const = 0;
  /// Updates one parameter in place. `param` and `grad` are contiguous float32 with the same
  /// shape; `state` holds the slots in slots() order; `first` is true when the slots were just
  /// allocated, zero-filled, for the parameter's first update (always, for a rule without slots).
  virtual void update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state,
                      bool first) = 0;

 private:
  std::string name_;
  std::vector<Tensor> params_;
  std::vector<std::vector<Tensor>> state_;  ///< [parameter][slot]; empty before its first update
  float lr_;
  int64_t step_count_ = 0;
};

}  // namespace cnn::optim
