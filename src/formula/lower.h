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
  // The statement's result from the values of the program's tensors (by tensor id).
  std::function<Tensor(const std::vector<Tensor>& values)> run;
};

std::optional<Lowering> lower(const Loop& loop, const std::vector<Shape>& shapes);

}  // namespace cnn::formulas
