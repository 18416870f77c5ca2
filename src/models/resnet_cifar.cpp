#include "cnn/models/resnet_cifar.h"

#include "cnn/nn/fused.h"
#include "cnn/nn/init.h"
#include "cnn/ops/pool.h"
#include "cnn/ops/shape.h"

namespace cnn::models {
namespace {

std::shared_ptr<nn::Conv2d> conv3x3(int64_t in, int64_t out, int64_t stride, Generator& gen) {
  auto conv = std::make_shared<nn::Conv2d>(
      in, out, nn::Conv2dOptions{.kernel = 3, .stride = stride, .padding = 1, .bias = false}, gen);
  // He initialization, as torchvision's ResNet: normal with std sqrt(2 / fan_out).
  nn::kaiming_normal(conv->weight(), gen,
                     {.mode = nn::FanMode::fan_out, .nonlinearity = nn::Nonlinearity::relu});
  return conv;
}

// relu(bn(conv(x)) + residual) (residual may be undefined). In evaluation conv_bn_act folds the
// batch norm, the add and the ReLU into the convolution's epilogue; in training the batch norm
// needs the batch's statistics first, so the batch norm, the add and the ReLU run as one op
// after the convolution (BatchNorm2d::forward_relu), with the values and gradients of the
// unfused ops.
Tensor conv_bn_relu(nn::Conv2d& conv, nn::BatchNorm2d& bn, const Tensor& x,
                    const Tensor& residual = Tensor()) {
  if (!bn.is_training()) return nn::conv_bn_act(conv, bn, x, nn::ConvActivation::relu, residual);
  return bn.forward_relu(conv(x), residual);
}

}  // namespace

BasicBlockCifar::BasicBlockCifar(int64_t in_channels, int64_t out_channels, int64_t stride,
                                 bool residual, Generator& gen)
    : Module("BasicBlock"), stride_(stride), out_channels_(out_channels), residual_(residual) {
  conv1_ = register_module("conv1", conv3x3(in_channels, out_channels, stride, gen));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(out_channels));
  conv2_ = register_module("conv2", conv3x3(out_channels, out_channels, 1, gen));
  bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(out_channels));
}

Tensor BasicBlockCifar::forward(const Tensor& x) {
  // conv_bn_relu fuses in inference and training; while a forward observer (a summary)
  // watches, it calls the children through operator(), so that the observer sees them.
  const Tensor h = conv_bn_relu(*conv1_, *bn1_, x);
  if (!residual_) return conv_bn_relu(*conv2_, *bn2_, h);
  const bool same = stride_ == 1 && x.size(-1) == out_channels_;
  const Tensor shortcut = same ? x : shortcut_identity(x, stride_, out_channels_);
  return conv_bn_relu(*conv2_, *bn2_, h, shortcut);
}

ResNetCifar::ResNetCifar(const ResNetCifarOptions& options, Generator& gen)
    : Module(options.residual ? "ResNetCifar" : "PlainCifar"), options_(options) {
  CNN_CHECK(options.depth >= 8 && (options.depth - 2) % 6 == 0, "ResNetCifar: depth ",
            options.depth, " is not of the form 6n + 2 (20, 32, 44, 56, 110, ...)");
  CNN_CHECK(options.classes >= 1 && options.in_channels >= 1,
            "ResNetCifar: classes and in_channels must be positive");
  const int64_t n = (options.depth - 2) / 6;
  conv1_ = register_module("conv1", conv3x3(options.in_channels, 16, 1, gen));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(16));
  int64_t channels = 16;
  auto stage = [&](int64_t width, int64_t stride) {
    auto seq = std::make_shared<nn::Sequential>();
    for (int64_t i = 0; i < n; ++i) {
      seq->push_back(std::make_shared<BasicBlockCifar>(channels, width, i == 0 ? stride : 1,
                                                       options.residual, gen));
      channels = width;
    }
    return seq;
  };
  layer1_ = register_module("layer1", stage(16, 1));
  layer2_ = register_module("layer2", stage(32, 2));
  layer3_ = register_module("layer3", stage(64, 2));
  fc_ = register_module(
      "fc", std::make_shared<nn::Linear>(64, options.classes, nn::LinearOptions{}, gen));
}

Tensor ResNetCifar::features(const Tensor& x) {
  const Tensor h = conv_bn_relu(*conv1_, *bn1_, x);
  return (*layer3_)((*layer2_)((*layer1_)(h)));
}

Tensor ResNetCifar::forward(const Tensor& x) {
  return (*fc_)(global_avg_pool2d(features(x)).flatten(1));
}

// The classifier is linear, so applying it at every position and averaging equals applying it
// to the average: the mean of this map over its grid is forward(x).
Tensor ResNetCifar::class_score_map(const Tensor& x) {
  const Tensor f = features(x);
  const Tensor scores = (*fc_)(f.reshape({-1, f.size(3)}));
  return scores.reshape({f.size(0), f.size(1), f.size(2), scores.size(1)});
}

}  // namespace cnn::models
