/// \file
/// StateDict: named tensors in order, the one container for a model's state_dict, an
/// optimizer's or a schedule's state, a checkpoint's tensors and the contents of a weights file
/// (safetensors, .pth), as PyTorch's OrderedDict of tensors serves all of these.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cnn/tensor.h"

namespace cnn::nn {

using NamedTensor = std::pair<std::string, Tensor>;

/// name -> tensor in insertion order (the order of PyTorch's OrderedDict state_dict), with
/// lookup by name. Keys are unique.
class StateDict {
 public:
  StateDict() = default;
  /// The entries in the order given; raises cnn::Error on a repeated key.
  StateDict(std::initializer_list<NamedTensor> entries);

  /// Appends; raises cnn::Error if `key` is already present.
  void insert(const std::string& key, Tensor value);
  /// Replaces the value of `key` where it stands, or appends it when absent.
  void insert_or_assign(const std::string& key, Tensor value);
  /// Removes `key`, keeping the order of the others; false when it was absent.
  bool erase(const std::string& key);
  /// nullptr when absent.
  const Tensor* find(const std::string& key) const;
  /// Raises cnn::Error naming the key when absent.
  const Tensor& at(const std::string& key) const;
  bool contains(const std::string& key) const { return find(key) != nullptr; }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<std::string> keys() const;
  std::vector<NamedTensor>::const_iterator begin() const { return entries_.begin(); }
  std::vector<NamedTensor>::const_iterator end() const { return entries_.end(); }

 private:
  std::vector<NamedTensor> entries_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace cnn::nn
