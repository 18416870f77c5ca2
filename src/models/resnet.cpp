#include "cnn/models/resnet.h"

#include "cnn/error.h"
#include "cnn/nn/fused.h"
#include "models/common.h"

namespace cnn::models {
namespace {

// A bias-free convolution initialized as torchvision's ResNet does: He normal with
// std = sqrt(2 / fan_out), fan_out = KH * KW * out_channels.
std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                 int64_t groups, Generator& gen) {
  auto c = conv_no_bias(in, out, kernel, stride, groups, gen);
  nn::kaiming_normal(c->weight(), gen,
                     {.mode = nn::FanMode::fan_out, .nonlinearity = nn::Nonlinearity::relu});
  return c;
}

// BatchNorm2d's own initialization (weight 1, bias 0) is torchvision's.
std::shared_ptr<nn::BatchNorm2d> bn(int64_t channels) {
  return std::make_shared<nn::BatchNorm2d>(channels);
}

using nn::ConvActivation;

}  // namespace

BasicBlock::BasicBlock(int64_t in_planes, int64_t planes, int64_t stride,
                       std::shared_ptr<nn::Sequential> downsample, Generator& gen)
    : Module("BasicBlock") {
  conv1_ = register_module("conv1", conv(in_planes, planes, 3, stride, 1, gen));
  bn1_ = register_module("bn1", bn(planes));
  conv2_ = register_module("conv2", conv(planes, planes, 3, 1, 1, gen));
  bn2_ = register_module("bn2", bn(planes));
  if (downsample) downsample_ = register_module("downsample", std::move(downsample));
}

Tensor BasicBlock::forward(const Tensor& x) {
  const Tensor h = nn::conv_bn_act(*conv1_, *bn1_, x, ConvActivation::relu);
  return nn::residual_conv_bn_act(*conv2_, *bn2_, h, downsample_.get(), x);
}

Bottleneck::Bottleneck(int64_t in_planes, int64_t planes, int64_t stride,
                       std::shared_ptr<nn::Sequential> downsample, int64_t groups,
                       int64_t base_width, Generator& gen)
    : Module("Bottleneck") {
  // torchvision: width = int(planes * (base_width / 64.0)) * groups
  const int64_t width = planes * base_width / 64 * groups;
  conv1_ = register_module("conv1", conv(in_planes, width, 1, 1, 1, gen));
  bn1_ = register_module("bn1", bn(width));
  conv2_ = register_module("conv2", conv(width, width, 3, stride, groups, gen));
  bn2_ = register_module("bn2", bn(width));
  conv3_ = register_module("conv3", conv(width, planes * expansion, 1, 1, 1, gen));
  bn3_ = register_module("bn3", bn(planes * expansion));
  if (downsample) downsample_ = register_module("downsample", std::move(downsample));
}

Tensor Bottleneck::forward(const Tensor& x) {
  const Tensor u = nn::conv_bn_act(*conv1_, *bn1_, x, ConvActivation::relu);
  const Tensor v = nn::conv_bn_act(*conv2_, *bn2_, u, ConvActivation::relu);
  return nn::residual_conv_bn_act(*conv3_, *bn3_, v, downsample_.get(), x);
}

ResNet::ResNet(const ModelOptions& o, const ResNetOptions& r, Generator& gen)
    : Module("ResNet"), resnet_(r) {
  CNN_CHECK(r.groups >= 1 && r.width_per_group >= 1, "ResNet: groups (", r.groups,
            ") and width_per_group (", r.width_per_group, ") must be positive");
  CNN_CHECK(r.block == ResNetBlock::bottleneck || (r.groups == 1 && r.width_per_group == 64),
            "ResNet: BasicBlock supports only groups = 1 and width_per_group = 64");
  for (int64_t n : r.layers) CNN_CHECK(n >= 1, "ResNet: every stage needs at least one block");
  conv1_ = register_module(
      "conv1", std::make_shared<nn::Conv2d>(
                   o.in_channels, 64,
                   nn::Conv2dOptions{.kernel = 7, .stride = 2, .padding = 3, .bias = false}, gen));
  nn::kaiming_normal(conv1_->weight(), gen,
                     {.mode = nn::FanMode::fan_out, .nonlinearity = nn::Nonlinearity::relu});
  bn1_ = register_module("bn1", bn(64));
  maxpool_ = register_module("maxpool", std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{
                                            .kernel = 3, .stride = 2, .padding = 1}));
  layer1_ = register_module("layer1", make_layer(64, r.layers[0], 1, gen));
  layer2_ = register_module("layer2", make_layer(128, r.layers[1], 2, gen));
  layer3_ = register_module("layer3", make_layer(256, r.layers[2], 2, gen));
  layer4_ = register_module("layer4", make_layer(512, r.layers[3], 2, gen));
  avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(Size2(1, 1)));
  fc_ = register_module("fc", std::make_shared<nn::Linear>(in_planes_, o.classes, gen));
}

// torchvision's _make_layer: the first block takes the stride and, where the grid or the
// width changes, a downsample shortcut; the others keep the shape.
std::shared_ptr<nn::Sequential> ResNet::make_layer(int64_t planes, int64_t blocks, int64_t stride,
                                                   Generator& gen) {
  const bool bottleneck = resnet_.block == ResNetBlock::bottleneck;
  const int64_t out = bottleneck ? planes * Bottleneck::expansion : planes;
  auto block = [&](int64_t s,
                   std::shared_ptr<nn::Sequential> downsample) -> std::shared_ptr<nn::Module> {
    if (bottleneck) {
      return std::make_shared<Bottleneck>(in_planes_, planes, s, std::move(downsample),
                                          resnet_.groups, resnet_.width_per_group, gen);
    }
    return std::make_shared<BasicBlock>(in_planes_, planes, s, std::move(downsample), gen);
  };
  std::shared_ptr<nn::Sequential> downsample;
  if (stride != 1 || in_planes_ != out) {
    downsample =
        std::make_shared<nn::Sequential>(conv(in_planes_, out, 1, stride, 1, gen), bn(out));
  }
  auto layer = std::make_shared<nn::Sequential>();
  layer->push_back(block(stride, std::move(downsample)));
  in_planes_ = out;
  for (int64_t i = 1; i < blocks; ++i) layer->push_back(block(1, nullptr));
  return layer;
}

Tensor ResNet::forward(const Tensor& x) {
  Tensor h = (*maxpool_)(nn::conv_bn_act(*conv1_, *bn1_, x, ConvActivation::relu));
  h = (*layer4_)((*layer3_)((*layer2_)((*layer1_)(h))));
  return (*fc_)((*avgpool_)(h).flatten(1));
}

std::shared_ptr<nn::Module> resnet(const ModelOptions& options, const ResNetOptions& r,
                                   Generator& gen) {
  return std::make_shared<ResNet>(options, r, gen);
}

}  // namespace cnn::models
