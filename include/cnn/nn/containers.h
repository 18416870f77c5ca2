/// \file
/// Sequential, and the structural layers Identity and Flatten that often sit in one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cnn/nn/module.h"

namespace cnn::nn {

/// Runs its children in order, each on the previous one's output. The children are named
/// "0", "1", ... as in torch.nn.Sequential, so keys read `features.0.weight`.
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  /// make_shared<Sequential>(conv, bn, relu)
  template <class... M>
  explicit Sequential(std::shared_ptr<M>... modules) : Sequential() {
    (push_back(std::move(modules)), ...);
  }
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& modules);

  /// Appends under the next number and returns the module with its own type.
  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    return register_module(std::to_string(size()), std::move(module));
  }

  size_t size() const { return named_children().size(); }
  /// Raises cnn::Error when i is out of range.
  std::shared_ptr<Module> operator[](size_t i) const;
  /// The child i as an M; raises cnn::Error when it is of another type.
  template <class M>
  std::shared_ptr<M> at(size_t i) const {
    auto module = (*this)[i];
    auto typed = std::dynamic_pointer_cast<M>(module);
    CNN_CHECK(typed != nullptr, "Sequential::at: child ", i, " is ", module->name(),
              ", not of the requested type");
    return typed;
  }

  /// The input itself when empty.
  Tensor forward(const Tensor& x) override;
};

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
  std::string name() const override { return "Identity()"; }
};

/// Merges dimensions start_dim..end_dim into one (Tensor::flatten). The elements keep our
/// NHWC order: flattening [N, H, W, C] gives index (h * W + w) * C + c, where PyTorch's NCHW
/// gives (c * H + h) * W + w, so a Linear after a Flatten imported from PyTorch needs its
/// input columns permuted (unless H = W = 1).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : Module("Flatten"), start_dim_(start_dim), end_dim_(end_dim) {}
  Tensor forward(const Tensor& x) override { return x.flatten(start_dim_, end_dim_); }
  std::string name() const override;

 private:
  int64_t start_dim_;
  int64_t end_dim_;
};

}  // namespace cnn::nn
