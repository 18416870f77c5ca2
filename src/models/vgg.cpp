#include "cnn/models/vgg.h"

#include <vector>

#include "cnn/error.h"
#include "cnn/nn/fused.h"

namespace cnn::models {
namespace {

constexpr int64_t M = 0;  // a 2x2 max pooling in a configuration

// torchvision's cfgs "A", "B", "D", "E": filters per convolution, M for pooling.
std::vector<int64_t> configuration(int64_t depth) {
  switch (depth) {
    case 11:
      return {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
    case 13:
      return {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
    case 16:
      return {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
    case 19:
      return {64,  64,  M,   128, 128, M,   256, 256, 256, 256, M,
              512, 512, 512, 512, M,   512, 512, 512, 512, M};
    default:
      fail("VGG: depth ", depth, " is not one of 11, 13, 16, 19");
  }
}

std::shared_ptr<nn::Linear> linear(int64_t in, int64_t out, Generator& gen) {
  auto fc = std::make_shared<nn::Linear>(in, out, gen);
  nn::normal(fc->weight(), 0.0f, 0.01f, gen);
  nn::zeros(fc->bias());
  return fc;
}

}  // namespace

VGG::VGG(const ModelOptions& o, const VGGOptions& v, Generator& gen) : Module("VGG") {
  const std::vector<int64_t> cfg = configuration(v.depth);
  features_ = register_module("features", std::make_shared<nn::Sequential>());
  int64_t channels = o.in_channels;
  for (int64_t width : cfg) {
    if (width == M) {
      features_->push_back(
          std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{.kernel = 2, .stride = 2}));
      continue;
    }
    auto conv = features_->push_back(std::make_shared<nn::Conv2d>(
        channels, width, nn::Conv2dOptions{.kernel = 3, .padding = 1}, gen));
    nn::kaiming_normal(conv->weight(), gen,
                       {.mode = nn::FanMode::fan_out, .nonlinearity = nn::Nonlinearity::relu});
    nn::zeros(conv->bias());
    if (v.batch_norm) features_->push_back(std::make_shared<nn::BatchNorm2d>(width));
    features_->push_back(std::make_shared<nn::ReLU>());
    channels = width;
  }
  avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(Size2(7, 7)));
  classifier_ = register_module("classifier", std::make_shared<nn::Sequential>());
  classifier_->push_back(linear(512 * 7 * 7, 4096, gen));  // 0
  classifier_->push_back(std::make_shared<nn::ReLU>());
  classifier_->push_back(std::make_shared<nn::Dropout>(v.dropout, gen));
  classifier_->push_back(linear(4096, 4096, gen));  // 3
  classifier_->push_back(std::make_shared<nn::ReLU>());
  classifier_->push_back(std::make_shared<nn::Dropout>(v.dropout, gen));
  classifier_->push_back(linear(4096, o.classes, gen));  // 6
}

Tensor VGG::forward(const Tensor& x) {
  CNN_CHECK(x.dim() == 4 && x.size(1) >= 32 && x.size(2) >= 32,
            "VGG: expected input [N, H, W, C] with H, W >= 32 (five 2x2 poolings), got ",
            to_string(x.shape()));
  // torchvision flattens the NCHW map (index (c * 7 + h) * 7 + w); ours is NHWC. Permuting to
  // [N, C, H, W] first keeps classifier.0.weight exactly torchvision's.
  // Each conv (bn) relu of the features is one convolution in inference (nn/fused.h).
  Tensor pooled = (*avgpool_)(nn::sequential_conv_bn_act(*features_, x));
  return (*classifier_)(pooled.permute({0, 3, 1, 2}).flatten(1));
}

std::shared_ptr<nn::Module> vgg(const ModelOptions& options, const VGGOptions& v, Generator& gen) {
  return std::make_shared<VGG>(options, v, gen);
}

}  // namespace cnn::models
