// Comparing a formula with a built-in op: the same inputs, forward and every gradient.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>

#include "cnn/cnn.h"
#include "cnn/formula.h"
#include "support/tensor_testing.h"

namespace cnn::testing {

using Inputs = std::map<std::string, Tensor>;

inline Inputs fresh_leaves(const Inputs& inputs, const std::set<std::string>& constant = {}) {
  Inputs out;
  for (const auto& [name, t] : inputs) {
    Tensor c = t.detach().clone();
    if (!constant.contains(name)) c.requires_grad_();
    out.emplace(name, c);
  }
  return out;
}

// The formula and `builtin` on the same inputs: outputs and the gradients of sum(y * R) for a
// random R within `tolerance` (relative to the built-in's largest magnitude). Inputs named in
// `constant` get no gradient (integer-valued or fixed tensors).
inline void expect_matches_builtin(const Formula& formula, const Inputs& inputs,
                                   const std::function<Tensor(const Inputs&)>& builtin,
                                   double tolerance = 1e-5,
                                   const std::set<std::string>& constant = {}) {
  Inputs a = fresh_leaves(inputs, constant), b = fresh_leaves(inputs, constant);
  const Tensor ya = formula(a);
  const Tensor yb = builtin(b);
  ASSERT_EQ(to_string(ya.shape()), to_string(yb.shape()));
  EXPECT_LT(relative_error(ya, yb), tolerance) << "forward";
  const Tensor r = randn(ya.shape(), 4242);
  sum(mul(ya, r)).backward();
  sum(mul(yb, r)).backward();
  for (const auto& [name, t] : a) {
    if (constant.contains(name)) continue;
    ASSERT_TRUE(t.grad().defined()) << name;
    ASSERT_TRUE(b.at(name).grad().defined()) << name;
    EXPECT_LT(relative_error(t.grad(), b.at(name).grad()), tolerance) << "gradient of " << name;
  }
}

// Both ways of running the formula against `builtin`: lowered to a built-in op where it is
// recognized (and then, when `kernel` is not empty, on that kernel), and on the general loop
// nest.
inline void expect_both_match_builtin(const std::string& text, const FormulaOptions& options,
                                      const Inputs& inputs,
                                      const std::function<Tensor(const Inputs&)>& builtin,
                                      const std::string& kernel = "", double tolerance = 1e-5,
                                      const std::set<std::string>& constant = {}) {
  std::map<std::string, Shape> shapes;
  for (const auto& [name, t] : inputs) shapes[name] = t.shape();
  const Formula lowered(text, options);
  EXPECT_EQ(lowered.kernels(shapes).back(), kernel);
  {
    SCOPED_TRACE("lowered");
    expect_matches_builtin(lowered, inputs, builtin, tolerance, constant);
  }
  FormulaOptions general = options;
  general.lower = false;
  const Formula loop_nest(text, general);
  const std::string general_kernel = loop_nest.kernels(shapes).back();
  EXPECT_TRUE(general_kernel.empty() || general_kernel == "contraction loop nest")
      << general_kernel;
  SCOPED_TRACE("general loop nest");
  expect_matches_builtin(loop_nest, inputs, builtin, tolerance, constant);
}

// A finite-difference check of every input's gradient.
inline void expect_gradcheck(const Formula& formula, const Inputs& inputs,
                             const std::set<std::string>& constant = {},
                             const GradcheckOptions& options = {}) {
  std::vector<std::string> names;
  std::vector<Tensor> leaves;
  for (const auto& [name, t] : fresh_leaves(inputs, constant)) {
    names.push_back(name);
    leaves.push_back(t);
  }
  const auto result = gradcheck(
      [&](const std::vector<Tensor>& xs) {
        Inputs in;
        for (size_t k = 0; k < xs.size(); ++k) in.emplace(names[k], xs[k]);
        return formula(in);
      },
      leaves, options);
  EXPECT_TRUE(result.ok) << result.report;
}

}  // namespace cnn::testing
