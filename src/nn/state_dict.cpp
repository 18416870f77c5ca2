// StateDict, Module::state_dict and Module::load_state_dict: validate everything first, then
// copy in place, so a failed load leaves the module untouched and a successful one keeps
// every parameter's identity.
#include <cstring>
#include <sstream>
#include <unordered_set>

#include "cnn/autograd.h"
#include "cnn/nn/module.h"  // declares what this file defines (with module.cpp)
#include "cnn/nn/state_dict.h"

namespace cnn::nn {

// ---- StateDict ----

StateDict::StateDict(std::initializer_list<NamedTensor> entries) {
  for (const auto& [key, value] : entries) insert(key, value);
}

void StateDict::insert(const std::string& key, Tensor value) {
  CNN_CHECK(index_.find(key) == index_.end(), "StateDict::insert: key '", key,
            "' is already present");
  index_.emplace(key, entries_.size());
  entries_.emplace_back(key, std::move(value));
}

void StateDict::insert_or_assign(const std::string& key, Tensor value) {
  const auto it = index_.find(key);
  if (it == index_.end()) {
    insert(key, std::move(value));
  } else {
    entries_[it->second].second = std::move(value);
  }
}

bool StateDict::erase(const std::string& key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return false;
  const size_t position = it->second;
  index_.erase(it);
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(position));
  for (size_t i = position; i < entries_.size(); ++i) index_[entries_[i].first] = i;
  return true;
}

const Tensor* StateDict::find(const std::string& key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

const Tensor& StateDict::at(const std::string& key) const {
  const Tensor* value = find(key);
  CNN_CHECK(value != nullptr, "StateDict::at: no key '", key, "' among ", entries_.size(),
            " entries");
  return *value;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& entry : entries_) out.push_back(entry.first);
  return out;
}

// ---- Module ----

void Module::collect_state(const std::string& prefix, std::vector<NamedTensor>& out) const {
  for (const auto& [name, tensor] : parameters_) out.emplace_back(prefix + name, tensor);
  for (const auto& [name, tensor] : buffers_) out.emplace_back(prefix + name, tensor);
  for (const auto& [name, child] : children_) child->collect_state(prefix + name + ".", out);
}

StateDict Module::state_dict() const {
  std::vector<NamedTensor> entries;
  collect_state("", entries);
  StateDict out;
  for (const auto& [key, tensor] : entries) out.insert(key, tensor.detach());
  return out;
}

namespace {

// A PyTorch convolution weight [O, I, KH, KW] offered for our [KH, KW, I, O].
bool is_oihw_of(const Shape& source, const Shape& target) {
  return source.size() == 4 && target.size() == 4 && source[0] == target[3] &&
         source[1] == target[2] && source[2] == target[0] && source[3] == target[1];
}

std::string mismatch(const std::string& key, const Tensor& target, const Tensor& source) {
  std::ostringstream out;
  if (!source.defined()) {
    out << "'" << key << "' is an undefined tensor in the state dict";
  } else if (source.shape() != target.shape()) {
    out << "shape mismatch for '" << key << "': the module has " << to_string(target.shape())
        << ", the state dict has " << to_string(source.shape());
    if (is_oihw_of(source.shape(), target.shape())) {
      out << " (a PyTorch OIHW convolution weight? ours is HWIO; convert it at import)";
    }
  } else if (source.dtype() != target.dtype()) {
    out << "dtype mismatch for '" << key << "' of shape " << to_string(target.shape())
        << ": the module has " << dtype_name(target.dtype()) << ", the state dict has "
        << dtype_name(source.dtype());
  }
  return out.str();
}

// Same shape and dtype (checked); both may be views of one storage, hence memmove.
void copy_into(const Tensor& target, const Tensor& source) {
  NoGradGuard no_grad;
  const Tensor dense = source.contiguous();
  const size_t bytes = static_cast<size_t>(target.numel()) * dtype_size(target.dtype());
  char* base = static_cast<char*>(target.storage()->data());
  const char* from = static_cast<const char*>(dense.storage()->data());
  std::memmove(base + target.offset() * static_cast<int64_t>(dtype_size(target.dtype())),
               from + dense.offset() * static_cast<int64_t>(dtype_size(dense.dtype())), bytes);
}

}  // namespace

LoadResult Module::load_state_dict(const StateDict& state, bool strict) {
  std::vector<NamedTensor> targets;
  collect_state("", targets);

  LoadResult result;
  std::vector<std::string> mismatches;
  std::unordered_set<std::string> expected;
  for (const auto& [key, target] : targets) {
    expected.insert(key);
    const Tensor* source = state.find(key);
    if (source == nullptr) {
      result.missing_keys.push_back(key);
      continue;
    }
    std::string problem = mismatch(key, target, *source);
    if (!problem.empty()) mismatches.push_back(std::move(problem));
  }
  for (const auto& entry : state) {
    if (expected.count(entry.first) == 0) result.unexpected_keys.push_back(entry.first);
  }

  std::vector<std::string> problems;
  if (strict) {
    for (const auto& key : result.missing_keys) problems.push_back("missing key '" + key + "'");
    for (const auto& key : result.unexpected_keys) {
      problems.push_back("unexpected key '" + key + "'");
    }
  }
  problems.insert(problems.end(), mismatches.begin(), mismatches.end());
  if (!problems.empty()) {
    std::ostringstream message;
    message << type_ << "::load_state_dict: " << problems.size()
            << (problems.size() == 1 ? " problem" : " problems") << ", nothing was loaded:";
    for (const auto& problem : problems) message << "\n  " << problem;
    throw Error(message.str());
  }

  for (const auto& [key, target] : targets) {
    if (const Tensor* source = state.find(key)) {
      copy_into(target, *source);
      target.mark_modified();
    }
  }
  return result;
}

}  // namespace cnn::nn
