#include "cnn/lab/deep_net.h"

#include <cmath>

#include "cnn/error.h"
#include "cnn/nn/init.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/pool.h"

namespace cnn::lab {

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::identity:
      return "identity";
    case Activation::sigmoid:
      return "sigmoid";
    case Activation::tanh:
      return "tanh";
    case Activation::relu:
      return "ReLU";
  }
  return "?";
}

const char* init_name(Init i) {
  switch (i) {
    case Init::small:
      return "small";
    case Init::large:
      return "large";
    case Init::xavier:
      return "Xavier";
    case Init::kaiming:
      return "Kaiming";
  }
  return "?";
}

std::string describe_setting(const DeepNetOptions& o) {
  std::string s = std::string(activation_name(o.activation)) + ", " + init_name(o.init);
  if (o.batch_norm) s += ", BN";
  if (o.residual) s += ", residual";
  return s;
}

void initialize_weight(const Tensor& weight, Init init, Generator& gen) {
  switch (init) {
    case Init::small:
      nn::normal(weight, 0.0f, 0.01f, gen);
      return;
    case Init::large:
      nn::normal(weight, 0.0f, 1.0f, gen);
      return;
    case Init::xavier:
      nn::xavier_uniform_lecture(weight, gen);
      return;
    case Init::kaiming:
      nn::kaiming_normal(weight, gen, {.nonlinearity = nn::Nonlinearity::relu});
      return;
  }
}

Tensor activate(const Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::identity:
      return x;
    case Activation::sigmoid:
      return sigmoid(x);
    case Activation::tanh:
      return tanh(x);
    case Activation::relu:
      return relu(x);
  }
  return x;
}

DeepLayer::DeepLayer(int64_t in_channels, const DeepNetOptions& options, bool skip, Generator& gen)
    : Module("DeepLayer"), activation_(options.activation), skip_(skip) {
  CNN_CHECK(!skip || in_channels == options.width, "DeepLayer: a residual layer needs ",
            options.width, " input channels, got ", in_channels);
  conv_ = register_module(
      "conv", std::make_shared<nn::Conv2d>(
                  in_channels, options.width,
                  nn::Conv2dOptions{.kernel = 3, .stride = 1, .padding = 1, .bias = false}, gen));
  initialize_weight(conv_->weight(), options.init, gen);
  if (options.batch_norm)
    bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(options.width));
}

DeepLayer::Parts DeepLayer::forward_parts(const Tensor& x) {
  Tensor z = (*conv_)(x);
  if (bn_) z = (*bn_)(z);
  const Tensor a = activate(z, activation_);
  return {z, skip_ ? add(x, a) : a};
}

DeepNet::DeepNet(const DeepNetOptions& options, Generator& gen)
    : Module("DeepNet"), options_(options) {
  CNN_CHECK(
      options.depth >= 1 && options.width >= 1 && options.in_channels >= 1 && options.classes >= 1,
      "DeepNet: depth, width, in_channels and classes must be at least 1, got depth ",
      options.depth, ", width ", options.width, ", in_channels ", options.in_channels, ", classes ",
      options.classes);
  stem_ = register_module("stem",
                          std::make_shared<DeepLayer>(options.in_channels, options, false, gen));
  sequence_ = register_module("layers", std::make_shared<nn::Sequential>());
  for (int64_t l = 1; l <= options.depth; ++l)
    layers_.push_back(sequence_->push_back(
        std::make_shared<DeepLayer>(options.width, options, options.residual, gen)));
  fc_ = register_module("fc", std::make_shared<nn::Linear>(options.width, options.classes, gen));
  initialize_weight(fc_->weight(), options.init, gen);
  nn::zeros(fc_->bias());
}

DeepNet::Trace DeepNet::forward_trace(const Tensor& x) {
  Trace t;
  t.stem_output = (*stem_)(x);
  Tensor h = t.stem_output;
  for (const auto& layer : layers_) {
    // forward_parts, to keep the pre-activation: forward observers see the layer's conv and bn
    // (called through operator()), not the layer itself.
    DeepLayer::Parts p = layer->forward_parts(h);
    t.pre_activations.push_back(p.pre_activation);
    t.outputs.push_back(p.output);
    h = p.output;
  }
  t.logits = (*fc_)(global_avg_pool2d(h).flatten(1));
  return t;
}

const DeepLayer& DeepNet::layer(int64_t l) const {
  CNN_CHECK(l >= 1 && l <= options_.depth, "DeepNet::layer: layer ", l, " is not in 1..",
            options_.depth);
  return *layers_[static_cast<size_t>(l - 1)];
}

const Tensor& DeepNet::conv_weight(int64_t l) const {
  return layer(l).conv().weight();
}

}  // namespace cnn::lab
