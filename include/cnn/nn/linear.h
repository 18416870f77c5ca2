/// \file
/// Linear: the lecture's fully connected layer y[b, j] = sum_i W[j, i] x[b, i] + B[j], holding W
/// as `weight` [out, in] (PyTorch's layout too) and B as `bias` [out].
#pragma once

#include <cstdint>
#include <string>

#include "cnn/generator.h"
#include "cnn/nn/module.h"

namespace cnn::nn {

struct LinearOptions {
  bool bias = true;
};

class Linear : public Module {
 public:
  /// Initialized as PyTorch does: weight and bias uniform on (-1/sqrt(in), 1/sqrt(in)).
  Linear(int64_t in_features, int64_t out_features, const LinearOptions& options, Generator& gen);
  Linear(int64_t in_features, int64_t out_features, Generator& gen)
      : Linear(in_features, out_features, LinearOptions{}, gen) {}

  /// x [N, in_features] -> [N, out_features]
  Tensor forward(const Tensor& x) override;
  std::string name() const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  ///< undefined with .bias = false
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 private:
  int64_t in_features_;
  int64_t out_features_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace cnn::nn
