#include "cnn/models/mobilenet_v2.h"

#include "cnn/nn/fused.h"
#include "cnn/ops/pool.h"

namespace cnn::models {
namespace {

// torchvision's Conv2dNormActivation with ReLU6: conv (no bias, padding (k - 1) / 2), bn, relu6.
std::shared_ptr<nn::Sequential> conv_bn_relu6(int64_t in, int64_t out, int64_t kernel,
                                              int64_t stride, int64_t groups, Generator& gen) {
  return std::make_shared<nn::Sequential>(
      std::make_shared<nn::Conv2d>(in, out,
                                   nn::Conv2dOptions{.kernel = kernel,
                                                     .stride = stride,
                                                     .padding = (kernel - 1) / 2,
                                                     .groups = groups,
                                                     .bias = false},
                                   gen),
      std::make_shared<nn::BatchNorm2d>(out), std::make_shared<nn::ReLU6>());
}

void init_mobilenet(nn::Module& m, Generator& gen) {
  for (const auto& child : m.children()) init_mobilenet(*child, gen);
  if (auto* conv = dynamic_cast<nn::Conv2d*>(&m)) {
    nn::kaiming_normal(conv->weight(), gen, {.mode = nn::FanMode::fan_out});
  } else if (auto* linear = dynamic_cast<nn::Linear*>(&m)) {
    nn::normal(linear->weight(), 0.0f, 0.01f, gen);
    nn::zeros(linear->bias());
  }
}

}  // namespace

MobileNetV2Block::MobileNetV2Block(int64_t in_channels, int64_t out_channels, int64_t stride,
                                   int64_t expand_ratio, Generator& gen)
    : Module("InvertedResidual"), residual_(stride == 1 && in_channels == out_channels) {
  CNN_CHECK(stride == 1 || stride == 2, "MobileNetV2Block: stride must be 1 or 2, got ", stride);
  const int64_t hidden = in_channels * expand_ratio;
  conv_ = register_module("conv", std::make_shared<nn::Sequential>());
  if (expand_ratio != 1) conv_->push_back(conv_bn_relu6(in_channels, hidden, 1, 1, 1, gen));
  conv_->push_back(conv_bn_relu6(hidden, hidden, 3, stride, hidden, gen));
  conv_->push_back(std::make_shared<nn::Conv2d>(
      hidden, out_channels, nn::Conv2dOptions{.kernel = 1, .bias = false}, gen));
  conv_->push_back(std::make_shared<nn::BatchNorm2d>(out_channels));
}

Tensor MobileNetV2Block::forward(const Tensor& x) {
  // conv, bn (and relu6) runs fuse in inference, the residual into the last one (nn/fused.h)
  return nn::sequential_conv_bn_act(*conv_, x, residual_ ? x : Tensor());
}

MobileNetV2::MobileNetV2(const MobileNetV2Options& options, Generator& gen)
    : Module("MobileNetV2") {
  CNN_CHECK(options.classes >= 1 && options.in_channels >= 1,
            "MobileNetV2: classes and in_channels must be positive, got ", options.classes, " and ",
            options.in_channels);
  // The paper's table 2: expansion t, channels c, repeats n, first stride s.
  struct Stage {
    int64_t t, c, n, s;
  };
  const Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                          {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  features_ = register_module("features", std::make_shared<nn::Sequential>());
  int64_t channels = 32;
  features_->push_back(conv_bn_relu6(options.in_channels, channels, 3, 2, 1, gen));
  for (const Stage& st : stages) {
    for (int64_t i = 0; i < st.n; ++i) {
      features_->push_back(
          std::make_shared<MobileNetV2Block>(channels, st.c, i == 0 ? st.s : 1, st.t, gen));
      channels = st.c;
    }
  }
  features_->push_back(conv_bn_relu6(channels, 1280, 1, 1, 1, gen));
  classifier_ = register_module(
      "classifier",
      std::make_shared<nn::Sequential>(std::make_shared<nn::Dropout>(options.dropout, gen),
                                       std::make_shared<nn::Linear>(1280, options.classes, gen)));
  init_mobilenet(*this, gen);
}

Tensor MobileNetV2::forward(const Tensor& x) {
  // The pool leaves 1x1, so flattening NHWC equals flattening NCHW.
  return (*classifier_)(global_avg_pool2d(nn::sequential_conv_bn_act(*features_, x)).flatten(1));
}

}  // namespace cnn::models
