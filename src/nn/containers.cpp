#include "cnn/nn/containers.h"

namespace cnn::nn {

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) : Sequential() {
  for (const auto& module : modules) push_back(module);
}

std::shared_ptr<Module> Sequential::operator[](size_t i) const {
  CNN_CHECK(i < size(), "Sequential: index ", i, " is out of range for ", size(), " children");
  return named_children()[i].second;
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  // Through operator(), so that forward observers see every child.
  for (const auto& entry : named_children()) y = (*entry.second)(y);
  return y;
}

std::string Flatten::name() const {
  return "Flatten(start_dim=" + std::to_string(start_dim_) +
         ", end_dim=" + std::to_string(end_dim_) + ")";
}

}  // namespace cnn::nn
