// Adam and AdamW: one moment update shared by both (see the header for the formulas). The
// bias corrections are computed in double from the step count, then used in float, as
// PyTorch computes them in Python floats.
#include "cnn/optim/adam.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "optim/checks.h"

namespace cnn::optim {

namespace {

// AdamOptions and AdamWOptions have the same fields.
template <class Options>
void check_adam_options(const char* owner, const Options& o) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  check_option(owner, "beta1", o.beta1, 0.0, 1.0, /*hi_open=*/true);
  check_option(owner, "beta2", o.beta2, 0.0, 1.0, /*hi_open=*/true);
  check_option(owner, "eps", o.eps, 0.0, inf);
  check_option(owner, "weight_decay", o.weight_decay, 0.0, inf);
}

std::vector<StateSlot> adam_slots(bool amsgrad) {
  using Kind = SlotKind;
  std::vector<StateSlot> slots = {{"exp_avg", Kind::like_param}, {"exp_avg_sq", Kind::like_param}};
  if (amsgrad) slots.push_back({"max_exp_avg_sq", Kind::like_param});
  slots.push_back({"step", Kind::counter});
  return slots;
}

// One Adam update of `param` [n] from `grad` [n] in PyTorch's order of operations; state = exp_avg,
// exp_avg_sq, [max_exp_avg_sq,] step. Weight decay is an L2 term in the gradient (Adam) or, when
// `decoupled`, a shrinking of the parameter before the update (AdamW).
template <class Options>
void adam_update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, float lr,
                 const Options& o, bool decoupled) {
  const int64_t t = ++state.back().data_i64()[0];
  const double bias_correction1 = 1.0 - std::pow(o.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(o.beta2, t);
  const float step_size = static_cast<float>(lr / bias_correction1);
  const float bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float decay = static_cast<float>(1.0 - static_cast<double>(lr) * o.weight_decay);
  const float l2 = decoupled ? 0.0f : o.weight_decay;
  const float beta1 = static_cast<float>(o.beta1), beta2 = static_cast<float>(o.beta2), eps = o.eps;
  const float one_minus_beta1 = static_cast<float>(1.0 - o.beta1);
  const float one_minus_beta2 = static_cast<float>(1.0 - o.beta2);
  float* p = param.data();
  const float* g = grad.data();
  float* m = state[0].data();
  float* v = state[1].data();
  float* v_max = o.amsgrad ? state[2].data() : nullptr;
  for_each_chunk(param.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      if (decoupled) p[k] *= decay;
      const float gk = g[k] + l2 * p[k];
      m[k] = m[k] * beta1 + one_minus_beta1 * gk;
      v[k] = v[k] * beta2 + one_minus_beta2 * gk * gk;
      float second = v[k];
      if (v_max != nullptr) second = v_max[k] = std::max(v_max[k], v[k]);
      const float denom = std::sqrt(second) / bias_correction2_sqrt + eps;
      p[k] += -step_size * m[k] / denom;
    }
  });
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Optimizer("Adam", std::move(params), options.lr), options_(options) {
  check_adam_options("Adam", options);
}

AdamOptions Adam::options() const {
  AdamOptions o = options_;
  o.lr = lr();
  return o;
}

std::vector<StateSlot> Adam::slots() const {
  return adam_slots(options_.amsgrad);
}

void Adam::update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, bool) {
  adam_update(param, grad, state, lr(), options_, /*decoupled=*/false);
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : Optimizer("AdamW", std::move(params), options.lr), options_(options) {
  check_adam_options("AdamW", options);
}

AdamWOptions AdamW::options() const {
  AdamWOptions o = options_;
  o.lr = lr();
  return o;
}

std::vector<StateSlot> AdamW::slots() const {
  return adam_slots(options_.amsgrad);
}

void AdamW::update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, bool) {
  adam_update(param, grad, state, lr(), options_, /*decoupled=*/true);
}

}  // namespace cnn::optim
