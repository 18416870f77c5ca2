/// \file
/// Activation layers (the lecture's sigma), softmax layers and dropout: stateless wrappers
/// around the ops of cnn/ops/activation.h, so they can sit in a Sequential.
#pragma once

#include <cstdint>
#include <string>

#include "cnn/generator.h"
#include "cnn/nn/module.h"

namespace cnn::nn {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "ReLU()"; }
};

class ReLU6 : public Module {
 public:
  ReLU6() : Module("ReLU6") {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "ReLU6()"; }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(float negative_slope = 0.01f)
      : Module("LeakyReLU"), negative_slope_(negative_slope) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override;
  float negative_slope() const { return negative_slope_; }

 private:
  float negative_slope_;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Sigmoid()"; }
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Tanh()"; }
};

/// Normalizes over `dim`; the default -1 is the channel dimension of NHWC activations and the
/// class dimension of [N, classes] logits (PyTorch's NCHW code writes dim=1 for channels).
class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim = -1) : Module("Softmax"), dim_(dim) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override;

 private:
  int64_t dim_;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(int64_t dim = -1) : Module("LogSoftmax"), dim_(dim) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override;

 private:
  int64_t dim_;
};

/// In training, zeroes each element with probability p (in [0, 1)) and scales the others by
/// 1 / (1 - p); the identity in evaluation. The layer owns a Generator seeded from `gen` when
/// constructed (one draw), so its masks are reproducible and independent of later uses of `gen`; a
/// checkpoint that must resume bit-identically saves generator().state().
class Dropout : public Module {
 public:
  Dropout(float p, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string name() const override;
  float p() const { return p_; }
  Generator& generator() { return gen_; }

 private:
  float p_;
  Generator gen_;
};

}  // namespace cnn::nn
