// Optimizer: parameter checks, the step loop over parameters with gradients, and the state
// dict with its all-or-nothing load.
#include "cnn/optim/optimizer.h"

#include <charconv>
#include <limits>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "optim/checks.h"

namespace cnn::optim {

namespace {

constexpr const char* kStepKey = "step";
constexpr const char* kParamCountKey = "param_count";

std::string slot_key(size_t param, const std::string& slot) {
  return "param." + std::to_string(param) + "." + slot;
}

// "param.<i>.<slot>" -> (i, slot); false for any other form.
bool parse_slot_key(const std::string& key, size_t& param, std::string& slot) {
  const std::string prefix = "param.";
  if (key.rfind(prefix, 0) != 0) return false;
  const char* begin = key.data() + prefix.size();
  const char* end = key.data() + key.size();
  const auto [dot, ec] = std::from_chars(begin, end, param);
  if (ec != std::errc() || dot == begin || dot == end || *dot != '.') return false;
  if (*begin == '0' && dot - begin > 1) return false;  // one spelling per index: no "param.01.x"
  slot.assign(dot + 1, end);
  return !slot.empty();
}

Tensor i64_scalar(int64_t value) {
  return Tensor::from_data_i64({}, {value});
}

size_t find_slot(const std::vector<StateSlot>& slot_list, const std::string& name) {
  size_t s = 0;
  while (s < slot_list.size() && slot_list[s].name != name) ++s;
  return s;
}

bool is_i64_scalar(const Tensor& t) {
  return t.defined() && t.dtype() == DType::i64 && t.shape().empty();
}

}  // namespace

Optimizer::Optimizer(std::string name, std::vector<Tensor> params, float lr)
    : name_(std::move(name)), params_(std::move(params)), state_(params_.size()), lr_(0.0f) {
  CNN_CHECK(!params_.empty(), name_, ": the parameter list is empty");
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    CNN_CHECK(p.defined(), name_, ": parameter ", i, " is undefined");
    CNN_CHECK(p.dtype() == DType::f32 && p.is_contiguous() && p.is_leaf(), name_, ": parameter ", i,
              " (shape ", to_string(p.shape()), ", ", dtype_name(p.dtype()),
              ") must be a float32 contiguous leaf tensor");
    for (size_t j = 0; j < i; ++j)
      CNN_CHECK(!p.is_same(params_[j]), name_, ": parameter ", i, " (shape ", to_string(p.shape()),
                ") is the same tensor as parameter ", j, "; each must appear once");
  }
  set_lr(lr);
}

void Optimizer::set_lr(float lr) {
  check_option(name_.c_str(), "lr", lr, 0.0, std::numeric_limits<double>::infinity());
  lr_ = lr;
}

void Optimizer::step() {
  // Check every gradient first, so a bad one leaves all parameters untouched.
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const Tensor& g = p.grad();
    if (!g.defined()) continue;
    CNN_CHECK(g.dtype() == DType::f32 && g.shape() == p.shape(), name_,
              "::step: the gradient of parameter ", i, " is ", to_string(g.shape()), " ",
              dtype_name(g.dtype()), " but the parameter is ", to_string(p.shape()), " float32");
  }
  autograd::NoGradGuard no_grad;
  const std::vector<StateSlot> slot_list = slots();
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& g = params_[i].grad();
    if (!g.defined()) continue;
    std::vector<Tensor>& state = state_[i];
    const bool first = state.empty();
    if (first) {
      for (const StateSlot& slot : slot_list)
        state.push_back(slot.kind == SlotKind::counter ? Tensor::zeros({}, DType::i64)
                                                       : Tensor::zeros(params_[i].shape()));
    }
    update(params_[i], g.contiguous(), state, first);
    params_[i].mark_modified();  // prepared models see the change (Storage::version)
  }
  ++step_count_;
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.set_grad(Tensor());
}

nn::StateDict Optimizer::state_dict() const {
  nn::StateDict out;
  out.insert(kStepKey, i64_scalar(step_count_));
  out.insert(kParamCountKey, i64_scalar(static_cast<int64_t>(params_.size())));
  const std::vector<StateSlot> slot_list = slots();
  for (size_t i = 0; i < params_.size(); ++i)
    for (size_t s = 0; s < state_[i].size(); ++s)
      out.insert(slot_key(i, slot_list[s].name), state_[i][s].detach());
  return out;
}

void Optimizer::load_state_dict(const nn::StateDict& state) {
  std::vector<std::string> problems;
  auto counter = [&](const char* key) -> int64_t {
    const Tensor* value_tensor = state.find(key);
    if (value_tensor == nullptr) {
      problems.push_back(std::string("missing key '") + key + "'");
      return -1;
    }
    if (!is_i64_scalar(*value_tensor)) {
      problems.push_back(std::string("'") + key + "' must be an int64 scalar");
      return -1;
    }
    const int64_t value = value_tensor->data_i64()[0];
    if (value < 0) problems.push_back(std::string("'") + key + "' is negative");
    return value;
  };
  const int64_t steps = counter(kStepKey);
  const int64_t count = counter(kParamCountKey);
  const bool count_fits = count == static_cast<int64_t>(params_.size());
  if (count >= 0 && !count_fits)
    problems.push_back("the state is for " + std::to_string(count) +
                       " parameters but this optimizer has " + std::to_string(params_.size()));

  // Sort the slot keys by parameter; reject anything unknown. (With the wrong parameter count
  // every key would be a problem: the count alone says it better.)
  const std::vector<StateSlot> slot_list = slots();
  std::vector<std::vector<const Tensor*>> found(params_.size(),
                                                std::vector<const Tensor*>(slot_list.size()));
  if (count_fits) {
    for (const auto& [key, tensor] : state) {
      if (key == kStepKey || key == kParamCountKey) continue;
      size_t param = 0, s = slot_list.size();
      std::string slot;
      if (parse_slot_key(key, param, slot) && param < params_.size())
        s = find_slot(slot_list, slot);
      if (s == slot_list.size()) {
        problems.push_back("unexpected key '" + key + "'");
        continue;
      }
      const Tensor& p = params_[param];
      const bool fits =
          slot_list[s].kind == SlotKind::counter
              ? is_i64_scalar(tensor) && tensor.data_i64()[0] >= 0
              : tensor.defined() && tensor.dtype() == DType::f32 && tensor.shape() == p.shape();
      if (!fits) {
        std::ostringstream msg;
        msg << "'" << key << "' is ";
        if (tensor.defined())
          msg << to_string(tensor.shape()) << " " << dtype_name(tensor.dtype());
        else
          msg << "undefined";
        if (slot_list[s].kind == SlotKind::counter)
          msg << " but must be a non-negative int64 scalar";
        else
          msg << " but parameter " << param << " is " << to_string(p.shape()) << " float32";
        problems.push_back(msg.str());
        continue;
      }
      found[param][s] = &tensor;
    }
    for (size_t i = 0; i < params_.size(); ++i) {
      std::string present, missing;
      for (size_t s = 0; s < slot_list.size(); ++s) {
        std::string& list = found[i][s] ? present : missing;
        list += (list.empty() ? "" : ", ") + slot_list[s].name;
      }
      if (!present.empty() && !missing.empty())
        problems.push_back("parameter " + std::to_string(i) + " has " + present + " but not " +
                           missing);
    }
  }
  if (!problems.empty()) {
    std::string list;
    for (const std::string& p : problems) list += "\n  " + p;
    std::string slot_names;
    for (const StateSlot& slot : slot_list)
      slot_names += (slot_names.empty() ? "" : ", ") + slot.name;
    fail(name_, "::load_state_dict: the state does not fit this optimizer (", params_.size(),
         " parameters; slots per parameter: ", slot_names.empty() ? "none" : slot_names,
         "); nothing was loaded:", list);
  }

  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    std::vector<Tensor> loaded;
    for (const Tensor* t : found[i])
      if (t != nullptr) loaded.push_back(t->clone());
    state_[i] = std::move(loaded);
  }
  step_count_ = steps;
}

}  // namespace cnn::optim
