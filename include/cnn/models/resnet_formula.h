/// \file
/// ResNet-20 (and the other depths 6n + 2) for small images with every layer written in the
/// lecture's index notation (cnn/formula.h, docs/FORMULAS.md): the convolutions, the batch
/// norms (with their ReLU and residual add), the option-A shortcuts and the pooled classifier
/// are formulas, which the formula engine runs on the built-in kernels it recognizes them as.
/// Registered as "resnet20_formula" (and 32, 44, 56, 110); same architecture, initialization
/// and training recipe as "resnet20".
#pragma once

#include <cstdint>
#include <memory>

#include "cnn/formula.h"
#include "cnn/generator.h"
#include "cnn/nn/formula.h"
#include "cnn/nn/module.h"

namespace cnn::models {

/// relu(batch_norm(x) [+ residual]) as the lecture writes batch normalization: the batch's
/// mean and variance, normalization, scale G and shift Beta (PyTorch's weight and bias) in
/// training, the running statistics in evaluation. The running statistics are updated from
/// the formula's own mean and variance statements (momentum 0.1, unbiased variance, as
/// BatchNorm2d).
class FormulaBatchNorm : public nn::Module {
 public:
  FormulaBatchNorm(int64_t channels, bool relu, bool residual);
  Tensor forward(const Tensor& x) override;
  Tensor forward(const Tensor& x, const Tensor& residual);
  /// forward(x, residual), seen by forward observers (cnn summary) as a call with input x.
  Tensor operator()(const Tensor& x, const Tensor& residual);
  using nn::Module::operator();
  std::string name() const override;

 private:
  Formula train_, eval_;
  bool residual_;
  Tensor gamma_, beta_, running_mean_, running_var_;
};

class FormulaBasicBlock : public nn::Module {
 public:
  FormulaBasicBlock(int64_t in_channels, int64_t out_channels, int64_t stride, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Formula> conv1_, conv2_, shortcut_;
  std::shared_ptr<FormulaBatchNorm> bn1_, bn2_;
};

class ResNetFormula : public nn::Module {
 public:
  ResNetFormula(int64_t depth, int64_t classes, int64_t in_channels, Generator& gen);
  /// x [N, H, W, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Formula> conv1_, head_;
  std::shared_ptr<FormulaBatchNorm> bn1_;
  std::shared_ptr<nn::Module> layer1_, layer2_, layer3_;
};

}  // namespace cnn::models
