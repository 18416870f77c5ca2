// A formula's text as cnn::Formula, `cnn formula` and nn::Formula read it: parsed (constants s,
// g and eps known), then, when it parses, analyzed with every input 3 wide on every axis, its
// gradients derived and printed, and, when small enough, run forward and backward on both the
// lowered path and the general loop nest, whose results must agree.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/formula.h"
#include "cnn/generator.h"
#include "cnn/ops/reduce.h"
#include "fuzz_target.h"

namespace {

// Work small enough for one input: a few milliseconds of the interpreted loop nest.
constexpr double kMaxFlops = 2e5;
constexpr int64_t kMaxElements = 1 << 14;

cnn::Tensor run(const cnn::Formula& f, const std::map<std::string, cnn::Shape>& shapes,
                std::map<std::string, cnn::Tensor>& leaves) {
  cnn::Generator gen(1);
  leaves.clear();
  for (const auto& [name, shape] : shapes) {
    leaves[name] = cnn::Tensor::normal(shape, 0, 1, gen).requires_grad_();
  }
  const cnn::Tensor y = f(leaves);
  cnn::sum(y).backward();
  return y;
}

}  // namespace

CNN_FUZZ_TARGET(formula) {
  if (size > 4096) return;  // a formula is a line or a few
  const std::string text(reinterpret_cast<const char*>(data), size);
  const cnn::FormulaOptions options{.constants = {{"s", 2}, {"g", 2}, {"eps", 1e-5}}};
  const cnn::Formula lowered(text, options);
  std::map<std::string, cnn::Shape> shapes;
  for (const auto& [name, rank] : lowered.input_ranks()) {
    if (rank > 6) return;
    shapes[name] = cnn::Shape(static_cast<size_t>(rank), 3);
  }
  const cnn::FormulaShapes result = lowered.shapes(shapes);
  (void)lowered.gradients(shapes);
  (void)lowered.to_string();
  (void)lowered.kernels(shapes);
  for (const auto& [name, shape] : result.tensors) {
    int64_t n = 1;
    for (int64_t e : shape) n *= e;
    if (n > kMaxElements) return;
  }
  if (!(result.flops <= kMaxFlops)) return;
  cnn::FormulaOptions general = options;
  general.lower = false;
  const cnn::Formula loop_nest(text, general);
  std::map<std::string, cnn::Tensor> a, b;
  const cnn::Tensor ya = run(lowered, shapes, a);
  const cnn::Tensor yb = run(loop_nest, shapes, b);
  // Both ways compute the same numbers (float rounding apart); NaN and infinities alike.
  const auto va = ya.to_vector(), vb = yb.to_vector();
  for (size_t k = 0; k < va.size(); ++k) {
    const double x = va[k], y = vb[k];
    const bool same =
        (std::isnan(x) && std::isnan(y)) || x == y || std::abs(x - y) <= 1e-3 * (1 + std::abs(y));
    if (!same) {
      std::fprintf(stderr, "lowered and loop nest differ at %zu: %g vs %g\n", k, x, y);
      std::abort();
    }
  }
}
