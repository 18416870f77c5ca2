#include "cnn/nn/activation.h"

#include <sstream>

#include "cnn/ops/activation.h"

namespace cnn::nn {

Tensor ReLU::forward(const Tensor& x) {
  return relu(x);
}
Tensor ReLU6::forward(const Tensor& x) {
  return relu6(x);
}
Tensor LeakyReLU::forward(const Tensor& x) {
  return leaky_relu(x, negative_slope_);
}
Tensor Sigmoid::forward(const Tensor& x) {
  return sigmoid(x);
}
Tensor Tanh::forward(const Tensor& x) {
  return tanh(x);
}
Tensor Softmax::forward(const Tensor& x) {
  return softmax(x, dim_);
}
Tensor LogSoftmax::forward(const Tensor& x) {
  return log_softmax(x, dim_);
}

std::string LeakyReLU::name() const {
  std::ostringstream out;
  out << "LeakyReLU(negative_slope=" << negative_slope_ << ')';
  return out.str();
}

std::string Softmax::name() const {
  return "Softmax(dim=" + std::to_string(dim_) + ")";
}
std::string LogSoftmax::name() const {
  return "LogSoftmax(dim=" + std::to_string(dim_) + ")";
}

// One draw from the caller's generator seeds this layer's own stream.
Dropout::Dropout(float p, Generator& gen) : Module("Dropout"), p_(p), gen_(gen.next_u64()) {
  CNN_CHECK(p >= 0.0f && p < 1.0f, "Dropout: p must lie in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  return dropout(x, p_, is_training(), gen_);
}

std::string Dropout::name() const {
  std::ostringstream out;
  out << "Dropout(p=" << p_ << ')';
  return out.str();
}

}  // namespace cnn::nn
