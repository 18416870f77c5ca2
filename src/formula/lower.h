// Statements recognized as built-in ops (docs/FORMULAS.md, "Lowering"): convolution with any
// stride, dilation, padding and grouping (depthwise included), the fully connected layer,
// max and average pooling, each with the bias and ReLU epilogue where the formula adds one.
// The built-in op then runs the statement, forward and backward, on the fast kernels.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cnn/tensor.h"
#include "formula/ast.h"

namespace cnn::formulas {

struct Lowering {
  std::string kernel;  // e.g. "conv2d(stride 2, padding 1) + bias + relu"
  // The statement's result from the values of the program's tensors (by tensor id). A kernel
  // that computes earlier statements too (batch norm: the mean and the variance) sets their
  // values, and those statements' own lowering is `deferred` (their run returns nothing).
  std::function<Tensor(std::vector<Tensor>& values)> run;
  bool deferred = false;
  // When set and false for the values at hand, the statement runs on the loop nest instead
  // (batch norm in evaluation with running statistics that require grad: the kernel treats
  // them as constants).
  std::function<bool(const std::vector<Tensor>& values)> applies = nullptr;
};

// Per statement of the program, the built-in op that runs it, if any.
std::vector<std::optional<Lowering>> lower(const Program& program, const std::vector<Loop>& loops,
                                           const std::vector<Shape>& shapes);

}  // namespace cnn::formulas
