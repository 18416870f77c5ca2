// Gradients of a statement, derived as statements (docs/FORMULAS.md, "Gradients").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cnn/shape.h"
#include "formula/ast.h"
#include "formula/contract.h"

namespace cnn::formulas {

struct Backward {
  std::vector<std::string> names;  // tensor ids: the program's, then the ones below
  std::vector<Shape> shapes;       // per tensor id
  int grad_output = -1;            // d<output>, given to the backward pass
  std::vector<int> saved;     // per reduction: the tensor its forward values are kept in, or -1
  std::vector<bool> winners;  // per reduction: whether the forward keeps its arg-extremum
  struct Step {
    Loop loop;
    bool accumulate = false;
    std::optional<Contraction> contraction;  // when the contraction loop nest can run it
  };
  std::vector<Step> steps;     // in order: the reductions' gradients, then the inputs'
  std::map<int, int> grad_of;  // input tensor id -> its gradient's tensor id
};

// For the statement `loop`, whose tensors are named `names` with `shapes`, the gradients of
// the tensors in `wanted` (ids read by the statement): each read is transposed, solving each
// axis for an index it alone uses (the one with the largest range) where the map is affine,
// and guarding the axis with an equality where not.
Backward derive(const Loop& loop, const std::vector<std::string>& names,
                const std::vector<Shape>& shapes, const std::vector<int>& wanted);

// The steps in the notation, one statement per line; `+=` adds a further read's share.
std::string print_backward(const Backward& backward);

}  // namespace cnn::formulas
