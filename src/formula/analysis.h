// Ranges of every index and shapes of every statement's result, for given input shapes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cnn/shape.h"
#include "formula/ast.h"

namespace cnn::formulas {

struct Analysis {
  std::vector<Loop> loops;    // one per statement
  std::vector<Shape> shapes;  // per tensor id: inputs as given, results as inferred
  std::vector<double> flops;  // per statement, a multiply-add counted as 2
};

// Errors (a FormulaError with the line and column): an input missing or not read, a tensor
// read with the wrong number of indices, two uses of an index alone on axes of different
// extents, a range that cannot be inferred or is empty, a result too large to allocate.
Analysis analyze(const Program& program, const std::map<std::string, Shape>& input_shapes);

double flops_of(const Expr& expr, const std::vector<int64_t>& ranges);

}  // namespace cnn::formulas
