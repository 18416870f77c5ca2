#include "cnn/models/small_image.h"

#include "cnn/ops/activation.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/pool.h"

namespace cnn::models {
namespace {

std::shared_ptr<nn::Conv2d> he_conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                    Generator& gen) {
  auto conv = std::make_shared<nn::Conv2d>(
      in, out,
      nn::Conv2dOptions{.kernel = kernel, .stride = stride, .padding = kernel / 2, .bias = false},
      gen);
  // The papers' code: normal with std sqrt(2 / (k * k * out_channels)).
  nn::kaiming_normal(conv->weight(), gen,
                     {.mode = nn::FanMode::fan_out, .nonlinearity = nn::Nonlinearity::relu});
  return conv;
}
std::shared_ptr<nn::BatchNorm2d> bn(int64_t c) {
  return std::make_shared<nn::BatchNorm2d>(c);
}

}  // namespace

PreActBlock::PreActBlock(int64_t in_channels, int64_t width, int64_t stride, bool bottleneck,
                         Generator& gen)
    : Module(bottleneck ? "PreActBottleneck" : "PreActBasicBlock"),
      out_channels_(bottleneck ? 4 * width : width) {
  bn1_ = register_module("bn1", bn(in_channels));
  if (bottleneck) {
    conv1_ = register_module("conv1", he_conv(in_channels, width, 1, 1, gen));
    bn2_ = register_module("bn2", bn(width));
    conv2_ = register_module("conv2", he_conv(width, width, 3, stride, gen));
    bn3_ = register_module("bn3", bn(width));
    conv3_ = register_module("conv3", he_conv(width, out_channels_, 1, 1, gen));
  } else {
    conv1_ = register_module("conv1", he_conv(in_channels, width, 3, stride, gen));
    bn2_ = register_module("bn2", bn(width));
    conv2_ = register_module("conv2", he_conv(width, width, 3, 1, gen));
  }
  if (stride != 1 || in_channels != out_channels_) {
    shortcut_ = register_module("shortcut", he_conv(in_channels, out_channels_, 1, stride, gen));
  }
}

Tensor PreActBlock::forward(const Tensor& x) {
  const Tensor pre = relu((*bn1_)(x));
  Tensor r = (*conv2_)(relu((*bn2_)((*conv1_)(pre))));
  if (conv3_) r = (*conv3_)(relu((*bn3_)(r)));
  return add(shortcut_ ? (*shortcut_)(pre) : x, r);
}

PreActResNetOptions wide_resnet_options(int64_t depth, int64_t widen) {
  CNN_CHECK(depth >= 10 && (depth - 4) % 6 == 0 && widen >= 1, "wide_resnet_options: depth ", depth,
            " is not 6n + 4 (16, 22, 28, 40, ...) or widen ", widen, " is not positive");
  return {.blocks_per_stage = (depth - 4) / 6, .widths = {16 * widen, 32 * widen, 64 * widen}};
}

PreActResNetOptions preact_bottleneck_options(int64_t depth) {
  CNN_CHECK(depth >= 11 && (depth - 2) % 9 == 0, "preact_bottleneck_options: depth ", depth,
            " is not 9n + 2 (164, 1001, ...)");
  return {.blocks_per_stage = (depth - 2) / 9, .widths = {16, 32, 64}, .bottleneck = true};
}

DenseNetOptions densenet_bc_small_options(int64_t depth, int64_t growth_rate) {
  CNN_CHECK(depth >= 10 && (depth - 4) % 6 == 0 && growth_rate >= 1,
            "densenet_bc_small_options: depth ", depth, " is not 6n + 4 (40, 100, 190, ...)");
  // Three blocks; each bottleneck layer counts two weighted layers (1x1 and 3x3), and the stem
  // convolution, two transitions and the classifier make up the other four.
  const int64_t n = (depth - 4) / 6;
  return {.growth_rate = growth_rate,
          .block_config = {n, n, n},
          .num_init_features = 2 * growth_rate,
          .bn_size = 4,
          .compression = 0.5,
          .small_input = true};
}

PreActResNet::PreActResNet(const PreActResNetOptions& options, Generator& gen)
    : Module(options.bottleneck ? "PreActResNet" : "WideResNet") {
  CNN_CHECK(options.classes >= 1 && options.in_channels >= 1 && options.blocks_per_stage >= 1,
            "PreActResNet: classes, in_channels and blocks_per_stage must be positive");
  conv1_ = register_module("conv1", he_conv(options.in_channels, 16, 3, 1, gen));
  int64_t channels = 16;
  auto stage = [&](int64_t width, int64_t stride) {
    auto seq = std::make_shared<nn::Sequential>();
    for (int64_t i = 0; i < options.blocks_per_stage; ++i) {
      auto block = seq->push_back(std::make_shared<PreActBlock>(
          channels, width, i == 0 ? stride : 1, options.bottleneck, gen));
      channels = block->out_channels();
    }
    return seq;
  };
  layer1_ = register_module("layer1", stage(options.widths[0], 1));
  layer2_ = register_module("layer2", stage(options.widths[1], 2));
  layer3_ = register_module("layer3", stage(options.widths[2], 2));
  bn_ = register_module("bn", bn(channels));
  fc_ = register_module("fc", std::make_shared<nn::Linear>(channels, options.classes, gen));
  nn::zeros(fc_->bias());
}

Tensor PreActResNet::forward(const Tensor& x) {
  Tensor h = (*layer3_)((*layer2_)((*layer1_)((*conv1_)(x))));
  return (*fc_)(global_avg_pool2d(relu((*bn_)(h))).flatten(1));
}

}  // namespace cnn::models
