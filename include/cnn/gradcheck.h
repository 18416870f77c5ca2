/// \file
/// Finite-difference gradient check along random directions, usable by any test.
///
/// For f and inputs x_i, with a fixed random R shaped like f's output, let
/// L(x) = sum(f(x) * R) (accumulated in double). For each input that requires grad and each of
/// `directions` random unit-variance directions v, the central difference
/// ```text
///   (L(x + eps v) - L(x - eps v)) / (2 eps)
/// ```
/// is compared with `<dL/dx_i, v>` from backward(). The error of one comparison is
/// |numeric - analytic| / max(|numeric|, |analytic|, floor); a comparison fails when that
/// exceeds `tolerance` and the difference is also larger than the float32 rounding noise of
/// L divided by eps (16 ulps per output, summed in quadrature).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cnn/tensor.h"

namespace cnn {

struct GradcheckOptions {
  float eps = 1e-2f;
  float tolerance = 2e-3f;
  int directions = 3;
  double floor = 1e-2;  ///< absolute scale under which differences are not magnified
  uint64_t seed = 1234;
};

struct GradcheckResult {
  bool ok = true;
  double max_error = 0.0;
  std::string report;  ///< one line per comparison that failed
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Inputs that should be checked must have requires_grad set; others are held fixed.
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace cnn
