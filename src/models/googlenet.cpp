#include "cnn/models/googlenet.h"

#include <algorithm>
#include <vector>

#include "cnn/nn/fused.h"
#include "cnn/nn/init.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/shape.h"

namespace cnn::models {

Tensor truncated_normal(Tensor t, float mean, float stddev, float lo, float hi, Generator& gen) {
  CNN_CHECK(t.dtype() == DType::f32 && t.is_contiguous(),
            "truncated_normal: needs a float32 contiguous tensor");
  CNN_CHECK(stddev > 0.0f && lo < hi, "truncated_normal: needs stddev > 0 and lo < hi, got stddev ",
            stddev, ", [", lo, ", ", hi, "]");
  // Rejection keeps the normal's shape inside [lo, hi]; the bounds used here lie at least 20
  // standard deviations out, so a redraw practically never happens.
  float* p = t.data();
  if (nn::initialization_skipped()) {
    std::fill_n(p, t.numel(), 0.0f);
    return t;
  }
  for (int64_t i = 0; i < t.numel(); ++i) {
    float v = gen.normal(mean, stddev);
    while (v < lo || v > hi) v = gen.normal(mean, stddev);
    p[i] = v;
  }
  return t;
}

void init_inception_weights(nn::Module& model, float stddev, Generator& gen) {
  for (const auto& child : model.children()) init_inception_weights(*child, stddev, gen);
  if (auto* conv = dynamic_cast<nn::Conv2d*>(&model)) {
    truncated_normal(conv->weight(), 0.0f, stddev, -2.0f, 2.0f, gen);
  } else if (auto* linear = dynamic_cast<nn::Linear*>(&model)) {
    truncated_normal(linear->weight(), 0.0f, stddev, -2.0f, 2.0f, gen);
  }
}

BasicConv2d::BasicConv2d(int64_t in_channels, int64_t out_channels,
                         const nn::Conv2dOptions& options, Generator& gen)
    : Module("BasicConv2d") {
  nn::Conv2dOptions o = options;
  o.bias = false;
  conv_ = register_module("conv", std::make_shared<nn::Conv2d>(in_channels, out_channels, o, gen));
  bn_ = register_module(
      "bn", std::make_shared<nn::BatchNorm2d>(out_channels, nn::BatchNorm2dOptions{.eps = 0.001f}));
}

// one convolution in inference (nn/fused.h); Inception v3 is built of these too
Tensor inception_transform_input(const Tensor& x) {
  CNN_CHECK(x.dim() == 4 && x.size(3) == 3,
            "transform_input: needs an RGB input [N, H, W, 3], got ", to_string(x.shape()));
  // ImageNet's statistics, as torchvision's _transform_input writes them.
  const float mean[3] = {0.485f, 0.456f, 0.406f}, stddev[3] = {0.229f, 0.224f, 0.225f};
  std::vector<float> scale(3), shift(3);
  for (int c = 0; c < 3; ++c) {
    scale[c] = stddev[c] / 0.5f;
    shift[c] = (mean[c] - 0.5f) / 0.5f;
  }
  return add(mul(x, Tensor::from_data({3}, scale)), Tensor::from_data({3}, shift));
}

Tensor BasicConv2d::forward(const Tensor& x) {
  return nn::conv_bn_act(*conv_, *bn_, x, nn::ConvActivation::relu);
}

namespace {

std::shared_ptr<BasicConv2d> basic(int64_t in, int64_t out, const nn::Conv2dOptions& o,
                                   Generator& gen) {
  return std::make_shared<BasicConv2d>(in, out, o, gen);
}

}  // namespace

GoogLeNetInception::GoogLeNetInception(int64_t in_channels, int64_t ch1x1, int64_t ch3x3red,
                                       int64_t ch3x3, int64_t ch5x5red, int64_t ch5x5,
                                       int64_t pool_proj, Generator& gen)
    : Module("Inception") {
  branch1_ = register_module("branch1", basic(in_channels, ch1x1, {.kernel = 1}, gen));
  branch2_ = register_module(
      "branch2",
      std::make_shared<nn::Sequential>(basic(in_channels, ch3x3red, {.kernel = 1}, gen),
                                       basic(ch3x3red, ch3x3, {.kernel = 3, .padding = 1}, gen)));
  branch3_ = register_module(
      "branch3",
      std::make_shared<nn::Sequential>(basic(in_channels, ch5x5red, {.kernel = 1}, gen),
                                       basic(ch5x5red, ch5x5, {.kernel = 3, .padding = 1}, gen)));
  branch4_ = register_module("branch4",
                             std::make_shared<nn::Sequential>(
                                 std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{
                                     .kernel = 3, .stride = 1, .padding = 1, .ceil_mode = true}),
                                 basic(in_channels, pool_proj, {.kernel = 1}, gen)));
}

Tensor GoogLeNetInception::forward(const Tensor& x) {
  return concat({(*branch1_)(x), (*branch2_)(x), (*branch3_)(x), (*branch4_)(x)});
}

GoogLeNet::GoogLeNet(const GoogLeNetOptions& options, Generator& gen)
    : Module("GoogLeNet"), transform_input_(options.transform_input) {
  CNN_CHECK(options.classes >= 1 && options.in_channels >= 1,
            "GoogLeNet: classes and in_channels must be positive, got ", options.classes, " and ",
            options.in_channels);
  CNN_CHECK(!options.transform_input || options.in_channels == 3,
            "GoogLeNet: transform_input needs 3 input channels, got ", options.in_channels);
  auto pool = [](int64_t kernel) {
    return std::make_shared<nn::MaxPool2d>(
        MaxPool2dOptions{.kernel = kernel, .stride = 2, .ceil_mode = true});
  };
  auto inception = [&](int64_t in, int64_t a, int64_t b, int64_t c, int64_t d, int64_t e,
                       int64_t f) {
    return std::make_shared<GoogLeNetInception>(in, a, b, c, d, e, f, gen);
  };
  conv1_ = register_module(
      "conv1", basic(options.in_channels, 64, {.kernel = 7, .stride = 2, .padding = 3}, gen));
  maxpool1_ = register_module("maxpool1", pool(3));
  conv2_ = register_module("conv2", basic(64, 64, {.kernel = 1}, gen));
  conv3_ = register_module("conv3", basic(64, 192, {.kernel = 3, .padding = 1}, gen));
  maxpool2_ = register_module("maxpool2", pool(3));
  inception3a_ = register_module("inception3a", inception(192, 64, 96, 128, 16, 32, 32));
  inception3b_ = register_module("inception3b", inception(256, 128, 128, 192, 32, 96, 64));
  maxpool3_ = register_module("maxpool3", pool(3));
  inception4a_ = register_module("inception4a", inception(480, 192, 96, 208, 16, 48, 64));
  inception4b_ = register_module("inception4b", inception(512, 160, 112, 224, 24, 64, 64));
  inception4c_ = register_module("inception4c", inception(512, 128, 128, 256, 24, 64, 64));
  inception4d_ = register_module("inception4d", inception(512, 112, 144, 288, 32, 64, 64));
  inception4e_ = register_module("inception4e", inception(528, 256, 160, 320, 32, 128, 128));
  maxpool4_ = register_module("maxpool4", pool(2));
  inception5a_ = register_module("inception5a", inception(832, 256, 160, 320, 32, 128, 128));
  inception5b_ = register_module("inception5b", inception(832, 384, 192, 384, 48, 128, 128));
  avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(Size2(1)));
  dropout_ = register_module("dropout", std::make_shared<nn::Dropout>(options.dropout, gen));
  fc_ = register_module("fc", std::make_shared<nn::Linear>(1024, options.classes, gen));
  init_inception_weights(*this, 0.01f, gen);
}

Tensor GoogLeNet::forward(const Tensor& x) {
  Tensor h = (*maxpool1_)((*conv1_)(transform_input_ ? inception_transform_input(x) : x));
  h = (*maxpool2_)((*conv3_)((*conv2_)(h)));
  h = (*maxpool3_)((*inception3b_)((*inception3a_)(h)));
  h = (*inception4c_)((*inception4b_)((*inception4a_)(h)));
  h = (*maxpool4_)((*inception4e_)((*inception4d_)(h)));
  h = (*inception5b_)((*inception5a_)(h));
  // The pool leaves 1x1, so flattening NHWC equals flattening NCHW.
  return (*fc_)((*dropout_)((*avgpool_)(h).flatten(1)));
}

}  // namespace cnn::models
