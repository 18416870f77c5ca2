#include "cnn/gradcheck.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/error.h"

namespace cnn {
namespace {

double weighted_sum(const Tensor& y, const std::vector<float>& r) {
  const std::vector<float> v = y.to_vector();
  double s = 0.0;
  for (size_t i = 0; i < v.size(); ++i) s += static_cast<double>(v[i]) * r[i];
  return s;
}

// Size of the float32 rounding noise in L = sum(y * r): independent roundings of each
// output, a few ulps each, add up like a random walk.
double rounding_noise(const Tensor& y, const std::vector<float>& r) {
  const std::vector<float> v = y.to_vector();
  double s = 0.0;
  for (size_t i = 0; i < v.size(); ++i) s += std::pow(static_cast<double>(v[i]) * r[i], 2);
  return 16.0 * FLT_EPSILON * std::sqrt(s);
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  Generator gen(options.seed);
  GradcheckResult result;

  // Analytic gradients from one backward pass with upstream gradient R.
  std::vector<Tensor> leaves;
  for (const Tensor& x : inputs) {
    Tensor leaf = x.detach().clone();
    if (x.requires_grad()) leaf.requires_grad_(true);
    leaves.push_back(leaf);
  }
  Tensor y = f(leaves);
  const Tensor r = Tensor::normal(y.shape(), 0.0f, 1.0f, gen);
  const std::vector<float> rv = r.to_vector();
  CNN_CHECK(y.requires_grad(),
            "gradcheck: the output does not depend on any input that requires grad");
  const double noise = rounding_noise(y, rv) / options.eps;
  y.backward(r);

  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    const Tensor& grad = leaves[i].grad();
    const std::vector<float> g =
        grad.defined() ? grad.to_vector()
                       : std::vector<float>(static_cast<size_t>(inputs[i].numel()), 0.0f);
    const std::vector<float> x0 = inputs[i].to_vector();
    for (int d = 0; d < options.directions; ++d) {
      const std::vector<float> v = Tensor::normal(inputs[i].shape(), 0.0f, 1.0f, gen).to_vector();
      double analytic = 0.0;
      for (size_t k = 0; k < v.size(); ++k) analytic += static_cast<double>(g[k]) * v[k];
      auto evaluate = [&](float sign) {
        std::vector<float> xp(x0.size());
        for (size_t k = 0; k < x0.size(); ++k) xp[k] = x0[k] + sign * options.eps * v[k];
        std::vector<Tensor> args;
        for (size_t j = 0; j < inputs.size(); ++j)
          args.push_back(j == i ? Tensor::from_data(inputs[i].shape(), xp) : inputs[j].detach());
        NoGradGuard no_grad;
        return weighted_sum(f(args), rv);
      };
      const double numeric = (evaluate(1.0f) - evaluate(-1.0f)) / (2.0 * options.eps);
      const double scale = std::max({std::abs(numeric), std::abs(analytic), options.floor});
      const double error = std::abs(numeric - analytic) / scale;
      result.max_error = std::max(result.max_error, error);
      const bool within_noise = std::abs(numeric - analytic) <= noise;
      if (!(error <= options.tolerance) && !within_noise) {
        result.ok = false;
        std::ostringstream line;
        line << "input " << i << " direction " << d << ": numeric " << numeric << ", analytic "
             << analytic << ", error " << error << " > " << options.tolerance << "\n";
        result.report += line.str();
      }
    }
  }
  return result;
}

}  // namespace cnn
