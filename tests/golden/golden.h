// Comparison with PyTorch. scripts/golden/<family>.py writes cases (see common.py there) into
// the build folder before these tests run; each test loads a family's cases, runs our op on
// the same inputs, back-propagates the same upstream gradient, and compares every output and
// input gradient with PyTorch's: relative error = max |ours - torch| / max |torch|.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cnn/tensor.h"

namespace cnn::golden {

using TensorMap = std::map<std::string, Tensor>;

struct Case {
  std::string family;
  std::string name;
  std::string op;
  nlohmann::json params;
  TensorMap inputs, outputs, grad_outputs, grads;
};

// Every case of a family, sorted by name. Fails the test when there are none.
std::vector<Case> load_family(const std::string& family);

// Runs `forward` on the case's inputs (those PyTorch differentiated require grad), compares
// outputs and gradients within `tolerance`, and records the errors in
// <build>/golden/errors.csv. Returns the largest relative error seen.
using Forward = std::function<TensorMap(const Case& c, const TensorMap& inputs)>;
double check_case(const Case& c, const Forward& forward, double tolerance);

// Convenience: runs every case of `family` through `forward`, each within `tolerance`.
// Returns the number of cases checked.
int check_family(const std::string& family, const Forward& forward, double tolerance);

}  // namespace cnn::golden
