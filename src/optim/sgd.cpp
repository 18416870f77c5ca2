#include "cnn/optim/sgd.h"

#include "cnn/error.h"

namespace cnn::optim {

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : params_(std::move(params)), velocity_(params_.size()), options_(options) {
  CNN_CHECK(options.lr >= 0.0f, "SGD: learning rate must be non-negative, got ", options.lr);
  CNN_CHECK(options.momentum >= 0.0f, "SGD: momentum must be non-negative, got ", options.momentum);
  CNN_CHECK(options.weight_decay >= 0.0f, "SGD: weight_decay must be non-negative, got ",
            options.weight_decay);
  CNN_CHECK(!options.nesterov || (options.momentum > 0.0f && options.dampening == 0.0f),
            "SGD: Nesterov momentum needs momentum > 0 and dampening = 0");
  for (size_t i = 0; i < params_.size(); ++i) {
    CNN_CHECK(params_[i].defined() && params_[i].is_leaf() && params_[i].is_contiguous(),
              "SGD: parameter ", i, " must be a defined, contiguous leaf tensor");
  }
}

void SGD::step() {
  const SGDOptions& o = options_;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    const Tensor g = p.grad().contiguous();
    float* w = p.data();
    const float* gp = g.data();
    const int64_t n = p.numel();
    float* v = nullptr;
    const bool first = o.momentum > 0.0f && !velocity_[i].defined();
    if (o.momentum > 0.0f) {
      if (first) velocity_[i] = Tensor::empty(p.shape());
      v = velocity_[i].data();
    }
    for (int64_t k = 0; k < n; ++k) {
      float d = gp[k] + o.weight_decay * w[k];
      if (v != nullptr) {
        v[k] = first ? d : o.momentum * v[k] + (1.0f - o.dampening) * d;
        d = o.nesterov ? d + o.momentum * v[k] : v[k];
      }
      w[k] -= o.lr * d;
    }
  }
}

void SGD::zero_grad() {
  for (Tensor& p : params_) p.set_grad(Tensor());
}

}  // namespace cnn::optim
