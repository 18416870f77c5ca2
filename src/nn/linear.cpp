#include "cnn/nn/linear.h"

#include <cmath>
#include <sstream>

#include "cnn/nn/init.h"
#include "cnn/ops/linear.h"

namespace cnn::nn {

Linear::Linear(int64_t in_features, int64_t out_features, const LinearOptions& options,
               Generator& gen)
    : Module("Linear"), in_features_(in_features), out_features_(out_features) {
  CNN_CHECK(in_features > 0 && out_features > 0, "Linear: in_features (", in_features,
            ") and out_features (", out_features, ") must be positive");
  // PyTorch's reset_parameters, as for Conv2d: both bounds are 1 / sqrt(in_features).
  Tensor weight = Tensor::empty({out_features, in_features});
  kaiming_uniform(weight, gen, {.a = std::sqrt(5.0f)});
  weight_ = register_parameter("weight", weight);
  if (options.bias) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(in_features));
    bias_ = register_parameter("bias", uniform(Tensor::empty({out_features}), -bound, bound, gen));
  }
}

Tensor Linear::forward(const Tensor& x) {
  return linear(x, weight_, bias_);
}

std::string Linear::name() const {
  std::ostringstream out;
  out << "Linear(" << in_features_ << ", " << out_features_;
  if (!bias_.defined()) out << ", bias=false";
  out << ')';
  return out.str();
}

}  // namespace cnn::nn
