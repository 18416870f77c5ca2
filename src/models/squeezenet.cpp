#include "cnn/models/squeezenet.h"

#include "cnn/error.h"
#include "cnn/nn/fused.h"
#include "cnn/ops/shape.h"

namespace cnn::models {
namespace {

// torchvision re-initializes every convolution but the last with kaiming_uniform_ at its
// defaults (a = 0, fan_in: bound sqrt(6 / fan_in)) and bias 0.
std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                 int64_t padding, Generator& gen) {
  auto c = std::make_shared<nn::Conv2d>(
      in, out, nn::Conv2dOptions{.kernel = kernel, .stride = stride, .padding = padding}, gen);
  nn::kaiming_uniform(c->weight(), gen);
  nn::zeros(c->bias());
  return c;
}

std::shared_ptr<nn::MaxPool2d> maxpool() {
  return std::make_shared<nn::MaxPool2d>(
      MaxPool2dOptions{.kernel = 3, .stride = 2, .ceil_mode = true});
}

}  // namespace

Fire::Fire(int64_t in_planes, int64_t squeeze_planes, int64_t expand1x1_planes,
           int64_t expand3x3_planes, Generator& gen)
    : Module("Fire") {
  squeeze_ = register_module("squeeze", conv(in_planes, squeeze_planes, 1, 1, 0, gen));
  expand1x1_ = register_module("expand1x1", conv(squeeze_planes, expand1x1_planes, 1, 1, 0, gen));
  expand3x3_ = register_module("expand3x3", conv(squeeze_planes, expand3x3_planes, 3, 1, 1, gen));
}

// each convolution and its ReLU are one convolution in inference (nn/fused.h)
Tensor Fire::forward(const Tensor& x) {
  constexpr auto relu = nn::ConvActivation::relu;
  Tensor s = nn::conv_act(*squeeze_, x, relu);
  return concat({nn::conv_act(*expand1x1_, s, relu), nn::conv_act(*expand3x3_, s, relu)});
}

SqueezeNet::SqueezeNet(const ModelOptions& o, const std::string& version, Generator& gen,
                       float dropout)
    : Module("SqueezeNet") {
  auto fire = [&gen](int64_t in, int64_t s, int64_t e1, int64_t e3) {
    return std::make_shared<Fire>(in, s, e1, e3, gen);
  };
  features_ = register_module("features", std::make_shared<nn::Sequential>());
  auto& f = *features_;
  if (version == "1_0") {
    f.push_back(conv(o.in_channels, 96, 7, 2, 0, gen));
    f.push_back(std::make_shared<nn::ReLU>());
    f.push_back(maxpool());
    f.push_back(fire(96, 16, 64, 64));
    f.push_back(fire(128, 16, 64, 64));
    f.push_back(fire(128, 32, 128, 128));
    f.push_back(maxpool());
    f.push_back(fire(256, 32, 128, 128));
    f.push_back(fire(256, 48, 192, 192));
    f.push_back(fire(384, 48, 192, 192));
    f.push_back(fire(384, 64, 256, 256));
    f.push_back(maxpool());
    f.push_back(fire(512, 64, 256, 256));
  } else if (version == "1_1") {
    f.push_back(conv(o.in_channels, 64, 3, 2, 0, gen));
    f.push_back(std::make_shared<nn::ReLU>());
    f.push_back(maxpool());
    f.push_back(fire(64, 16, 64, 64));
    f.push_back(fire(128, 16, 64, 64));
    f.push_back(maxpool());
    f.push_back(fire(128, 32, 128, 128));
    f.push_back(fire(256, 32, 128, 128));
    f.push_back(maxpool());
    f.push_back(fire(256, 48, 192, 192));
    f.push_back(fire(384, 48, 192, 192));
    f.push_back(fire(384, 64, 256, 256));
    f.push_back(fire(512, 64, 256, 256));
  } else {
    fail("SqueezeNet: version '", version, "' is not 1_0 or 1_1");
  }
  classifier_ = register_module("classifier", std::make_shared<nn::Sequential>());
  classifier_->push_back(std::make_shared<nn::Dropout>(dropout, gen));
  auto final_conv = classifier_->push_back(
      std::make_shared<nn::Conv2d>(512, o.classes, nn::Conv2dOptions{.kernel = 1}, gen));
  nn::normal(final_conv->weight(), 0.0f, 0.01f, gen);
  nn::zeros(final_conv->bias());
  classifier_->push_back(std::make_shared<nn::ReLU>());
  classifier_->push_back(std::make_shared<nn::AdaptiveAvgPool2d>(Size2(1, 1)));
}

Tensor SqueezeNet::forward(const Tensor& x) {
  // [N, 1, 1, classes] -> [N, classes]: with a 1x1 grid NHWC and NCHW flatten alike.
  // The conv, relu pairs in both Sequentials fuse in inference, as in Fire.
  return nn::sequential_conv_bn_act(*classifier_, nn::sequential_conv_bn_act(*features_, x))
      .flatten(1);
}

std::shared_ptr<nn::Module> squeezenet(const ModelOptions& options, const std::string& version,
                                       Generator& gen) {
  return std::make_shared<SqueezeNet>(options, version, gen);
}

}  // namespace cnn::models
