// SGD: torch.optim.SGD's update (see the header), one pass over the elements.
#include "cnn/optim/sgd.h"

#include <limits>

#include "optim/checks.h"

namespace cnn::optim {

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : Optimizer("SGD", std::move(params), options.lr), options_(options) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  check_option("SGD", "momentum", options.momentum, 0.0, inf);
  check_option("SGD", "dampening", options.dampening, 0.0, 1.0);
  check_option("SGD", "weight_decay", options.weight_decay, 0.0, inf);
  CNN_CHECK(!options.nesterov || (options.momentum > 0.0f && options.dampening == 0.0f),
            "SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum ",
            options.momentum, " and dampening ", options.dampening);
}

SGDOptions SGD::options() const {
  SGDOptions o = options_;
  o.lr = lr();
  return o;
}

std::vector<StateSlot> SGD::slots() const {
  if (options_.momentum == 0.0f) return {};
  return {{"momentum_buffer", SlotKind::like_param}};
}

void SGD::update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, bool first) {
  const float lr = this->lr(), momentum = options_.momentum, damped = 1.0f - options_.dampening,
              weight_decay = options_.weight_decay;
  const bool nesterov = options_.nesterov;
  float* p = param.data();
  const float* g = grad.data();
  float* v = state.empty() ? nullptr : state[0].data();  // null when momentum == 0
  for_each_chunk(param.numel(), [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      float d = g[k] + weight_decay * p[k];
      if (v != nullptr) {
        v[k] = first ? d : momentum * v[k] + damped * d;
        d = nesterov ? d + momentum * v[k] : v[k];
      }
      p[k] -= lr * d;
    }
  });
}

}  // namespace cnn::optim
