#include "cnn/models/shufflenet_v2.h"

#include <array>

#include "cnn/nn/fused.h"
#include "cnn/ops/pool.h"
#include "cnn/ops/shape.h"
#include "models/common.h"

namespace cnn::models {
namespace {

std::shared_ptr<nn::BatchNorm2d> bn(int64_t c) {
  return std::make_shared<nn::BatchNorm2d>(c);
}

}  // namespace

ShuffleUnit::ShuffleUnit(int64_t in_channels, int64_t out_channels, int64_t stride, Generator& gen)
    : Module("InvertedResidual"), stride_(stride) {
  const int64_t half = out_channels / 2;
  CNN_CHECK(stride == 1 || stride == 2, "ShuffleUnit: stride must be 1 or 2, got ", stride);
  CNN_CHECK(stride == 2 || in_channels == 2 * half, "ShuffleUnit: with stride 1 the input (",
            in_channels, ") must have the output's ", 2 * half, " channels");
  branch1_ = register_module("branch1", std::make_shared<nn::Sequential>());
  if (stride == 2) {
    branch1_->push_back(conv_no_bias(in_channels, in_channels, 3, stride, in_channels, gen));
    branch1_->push_back(bn(in_channels));
    branch1_->push_back(conv_no_bias(in_channels, half, 1, 1, 1, gen));
    branch1_->push_back(bn(half));
    branch1_->push_back(std::make_shared<nn::ReLU>());
  }
  branch2_ = register_module(
      "branch2",
      std::make_shared<nn::Sequential>(
          conv_no_bias(stride == 2 ? in_channels : half, half, 1, 1, 1, gen), bn(half),
          std::make_shared<nn::ReLU>(), conv_no_bias(half, half, 3, stride, half, gen), bn(half),
          conv_no_bias(half, half, 1, 1, 1, gen), bn(half), std::make_shared<nn::ReLU>()));
}

Tensor ShuffleUnit::forward(const Tensor& x) {
  // each conv, bn (and relu) run of a branch is one convolution in inference (nn/fused.h)
  Tensor out;
  if (stride_ == 1) {
    const int64_t half = x.size(-1) / 2;
    auto halves = split(x, {half, half});
    out = concat({halves[0], nn::sequential_conv_bn_act(*branch2_, halves[1])});
  } else {
    out = concat(
        {nn::sequential_conv_bn_act(*branch1_, x), nn::sequential_conv_bn_act(*branch2_, x)});
  }
  return channel_shuffle(out, 2);
}

ShuffleNetV2::ShuffleNetV2(const ShuffleNetV2Options& options, Generator& gen)
    : Module("ShuffleNetV2") {
  CNN_CHECK(options.classes >= 1 && options.in_channels >= 1,
            "ShuffleNetV2: classes and in_channels must be positive, got ", options.classes,
            " and ", options.in_channels);
  // torchvision's stages_out_channels per width multiplier; stages_repeats are 4, 8, 4.
  std::array<int64_t, 5> widths{};
  if (options.width == 0.5)
    widths = {24, 48, 96, 192, 1024};
  else if (options.width == 1.0)
    widths = {24, 116, 232, 464, 1024};
  else if (options.width == 1.5)
    widths = {24, 176, 352, 704, 1024};
  else if (options.width == 2.0)
    widths = {24, 244, 488, 976, 2048};
  else
    fail("ShuffleNetV2: width ", options.width, " is not one of 0.5, 1.0, 1.5, 2.0");

  conv1_ = register_module("conv1", std::make_shared<nn::Sequential>(
                                        conv_no_bias(options.in_channels, widths[0], 3, 2, 1, gen),
                                        bn(widths[0]), std::make_shared<nn::ReLU>()));
  maxpool_ = register_module("maxpool", std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{
                                            .kernel = 3, .stride = 2, .padding = 1}));
  int64_t channels = widths[0];
  auto stage = [&](int64_t repeats, int64_t out) {
    auto seq = std::make_shared<nn::Sequential>();
    seq->push_back(std::make_shared<ShuffleUnit>(channels, out, 2, gen));
    for (int64_t i = 1; i < repeats; ++i)
      seq->push_back(std::make_shared<ShuffleUnit>(out, out, 1, gen));
    channels = out;
    return seq;
  };
  stage2_ = register_module("stage2", stage(4, widths[1]));
  stage3_ = register_module("stage3", stage(8, widths[2]));
  stage4_ = register_module("stage4", stage(4, widths[3]));
  conv5_ = register_module(
      "conv5", std::make_shared<nn::Sequential>(conv_no_bias(channels, widths[4], 1, 1, 1, gen),
                                                bn(widths[4]), std::make_shared<nn::ReLU>()));
  fc_ = register_module("fc", std::make_shared<nn::Linear>(widths[4], options.classes, gen));
}

Tensor ShuffleNetV2::forward(const Tensor& x) {
  Tensor h = (*maxpool_)(nn::sequential_conv_bn_act(*conv1_, x));
  h = nn::sequential_conv_bn_act(*conv5_, (*stage4_)((*stage3_)((*stage2_)(h))));
  return (*fc_)(global_avg_pool2d(h).flatten(1));
}

}  // namespace cnn::models
