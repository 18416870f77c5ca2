// Ranges of every index and shapes of every statement's result, for given input shapes.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cnn/shape.h"
#include "formula/ast.h"
#include "formula/contract.h"
#include "formula/lower.h"

namespace cnn::formulas {

struct Backward;

// The derived gradients of statements, per (statement, the read tensors that want one), made on
// the first backward pass that needs them.
struct BackwardCache {
  std::mutex mutex;
  std::map<std::pair<size_t, std::vector<int>>, std::shared_ptr<const Backward>> entries;
};

struct Analysis {
  std::vector<Loop> loops;    // one per statement
  std::vector<Shape> shapes;  // per tensor id: inputs as given, results as inferred
  std::vector<double> flops;  // per statement, a multiply-add counted as 2
  std::vector<std::optional<Lowering>> lowerings;        // per statement, when lowering is on
  std::vector<std::optional<Contraction>> contractions;  // per statement not lowered
  std::shared_ptr<BackwardCache> backwards = std::make_shared<BackwardCache>();
};

// Errors (a FormulaError with the line and column): an input missing or not read, a tensor
// read with the wrong number of indices, two uses of an index alone on axes of different
// extents, a range that cannot be inferred or is empty, a result too large to allocate.
Analysis analyze(const Program& program, const std::map<std::string, Shape>& input_shapes);

double flops_of(const Expr& expr, const std::vector<int64_t>& ranges);

}  // namespace cnn::formulas
