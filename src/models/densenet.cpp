#include "cnn/models/densenet.h"

#include <cmath>

#include "cnn/ops/activation.h"
#include "cnn/ops/pool.h"
#include "cnn/ops/shape.h"

namespace cnn::models {

Tensor NamedSequential::forward(const Tensor& x) {
  Tensor h = x;
  for (const auto& [name, child] : named_children()) h = (*child)(h);
  return h;
}

namespace {

std::shared_ptr<nn::Conv2d> he_conv(int64_t in, int64_t out, const nn::Conv2dOptions& o,
                                    Generator& gen) {
  auto conv = std::make_shared<nn::Conv2d>(in, out, o, gen);
  // torchvision: nn.init.kaiming_normal_(weight), i.e. std = sqrt(2 / fan_in).
  nn::kaiming_normal(conv->weight(), gen);
  return conv;
}

}  // namespace

DenseLayer::DenseLayer(int64_t in_channels, int64_t growth_rate, int64_t bn_size, Generator& gen)
    : Module("DenseLayer") {
  const int64_t width = bn_size * growth_rate;
  norm1_ = register_module("norm1", std::make_shared<nn::BatchNorm2d>(in_channels));
  relu1_ = register_module("relu1", std::make_shared<nn::ReLU>());
  conv1_ = register_module("conv1", he_conv(in_channels, width, {.kernel = 1, .bias = false}, gen));
  norm2_ = register_module("norm2", std::make_shared<nn::BatchNorm2d>(width));
  relu2_ = register_module("relu2", std::make_shared<nn::ReLU>());
  conv2_ = register_module(
      "conv2", he_conv(width, growth_rate, {.kernel = 3, .padding = 1, .bias = false}, gen));
}

Tensor DenseLayer::forward(const Tensor& x) {
  Tensor bottleneck = (*conv1_)((*relu1_)((*norm1_)(x)));
  return (*conv2_)((*relu2_)((*norm2_)(bottleneck)));
}

DenseBlock::DenseBlock(int64_t layers, int64_t in_channels, int64_t growth_rate, int64_t bn_size,
                       Generator& gen)
    : Module("DenseBlock") {
  for (int64_t i = 0; i < layers; ++i) {
    layers_.push_back(register_module(
        "denselayer" + std::to_string(i + 1),
        std::make_shared<DenseLayer>(in_channels + i * growth_rate, growth_rate, bn_size, gen)));
  }
}

Tensor DenseBlock::forward(const Tensor& x) {
  // torchvision keeps a list and concatenates it before each layer; appending each layer's
  // output to the running concatenation gives the same tensors in the same channel order.
  Tensor h = x;
  for (const auto& layer : layers_) h = concat({h, (*layer)(h)});
  return h;
}

DenseNetOptions densenet_options(int64_t depth) {
  switch (depth) {
    case 121:
      return {.growth_rate = 32, .block_config = {6, 12, 24, 16}, .num_init_features = 64};
    case 161:
      return {.growth_rate = 48, .block_config = {6, 12, 36, 24}, .num_init_features = 96};
    case 169:
      return {.growth_rate = 32, .block_config = {6, 12, 32, 32}, .num_init_features = 64};
    case 201:
      return {.growth_rate = 32, .block_config = {6, 12, 48, 32}, .num_init_features = 64};
    default:
      fail("densenet_options: no DenseNet-", depth, " (121, 161, 169 or 201)");
  }
}

DenseNet::DenseNet(const DenseNetOptions& options, Generator& gen) : Module("DenseNet") {
  CNN_CHECK(options.classes >= 1 && options.in_channels >= 1,
            "DenseNet: classes and in_channels must be positive, got ", options.classes, " and ",
            options.in_channels);
  CNN_CHECK(!options.block_config.empty() && options.growth_rate >= 1 && options.bn_size >= 1 &&
                options.compression > 0.0 && options.compression <= 1.0,
            "DenseNet: needs blocks, a positive growth rate and bn_size, compression in (0, 1]");
  features_ = register_module("features", std::make_shared<NamedSequential>());
  int64_t channels = options.num_init_features;
  if (options.small_input) {
    features_->add("conv0", he_conv(options.in_channels, channels,
                                    {.kernel = 3, .padding = 1, .bias = false}, gen));
  } else {
    features_->add("conv0", he_conv(options.in_channels, channels,
                                    {.kernel = 7, .stride = 2, .padding = 3, .bias = false}, gen));
    features_->add("norm0", std::make_shared<nn::BatchNorm2d>(channels));
    features_->add("relu0", std::make_shared<nn::ReLU>());
    features_->add("pool0", std::make_shared<nn::MaxPool2d>(
                                MaxPool2dOptions{.kernel = 3, .stride = 2, .padding = 1}));
  }
  const auto blocks = static_cast<int64_t>(options.block_config.size());
  for (int64_t i = 0; i < blocks; ++i) {
    const int64_t layers = options.block_config[static_cast<size_t>(i)];
    features_->add(
        "denseblock" + std::to_string(i + 1),
        std::make_shared<DenseBlock>(layers, channels, options.growth_rate, options.bn_size, gen));
    channels += layers * options.growth_rate;
    if (i + 1 == blocks) break;
    const auto out =
        static_cast<int64_t>(std::floor(options.compression * static_cast<double>(channels)));
    auto transition = std::make_shared<NamedSequential>("Transition");
    transition->add("norm", std::make_shared<nn::BatchNorm2d>(channels));
    transition->add("relu", std::make_shared<nn::ReLU>());
    transition->add("conv", he_conv(channels, out, {.kernel = 1, .bias = false}, gen));
    transition->add("pool",
                    std::make_shared<nn::AvgPool2d>(AvgPool2dOptions{.kernel = 2, .stride = 2}));
    features_->add("transition" + std::to_string(i + 1), transition);
    channels = out;
  }
  features_->add("norm" + std::to_string(blocks + 1), std::make_shared<nn::BatchNorm2d>(channels));
  classifier_ =
      register_module("classifier", std::make_shared<nn::Linear>(channels, options.classes, gen));
  nn::zeros(classifier_->bias());
}

Tensor DenseNet::forward(const Tensor& x) {
  // The pool leaves 1x1, so flattening NHWC equals flattening NCHW.
  return (*classifier_)(global_avg_pool2d(relu((*features_)(x))).flatten(1));
}

}  // namespace cnn::models
