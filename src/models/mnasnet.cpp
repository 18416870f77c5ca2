#include "cnn/models/mnasnet.h"

#include <algorithm>

#include "cnn/nn/fused.h"
#include "cnn/ops/pool.h"
#include "models/common.h"

namespace cnn::models {
namespace {

constexpr float kBnMomentum = 1.0f - 0.9997f;  // torchvision's _BN_MOMENTUM

std::shared_ptr<nn::BatchNorm2d> bn(int64_t c) {
  return std::make_shared<nn::BatchNorm2d>(c, nn::BatchNorm2dOptions{.momentum = kBnMomentum});
}
std::shared_ptr<nn::ReLU> relu_layer() {
  return std::make_shared<nn::ReLU>();
}

void init_mnasnet(nn::Module& m, Generator& gen) {
  for (const auto& child : m.children()) init_mnasnet(*child, gen);
  if (auto* c = dynamic_cast<nn::Conv2d*>(&m)) {
    nn::kaiming_normal(c->weight(), gen,
                       {.mode = nn::FanMode::fan_out, .nonlinearity = nn::Nonlinearity::relu});
  } else if (auto* linear = dynamic_cast<nn::Linear*>(&m)) {
    nn::kaiming_uniform(linear->weight(), gen,
                        {.mode = nn::FanMode::fan_out, .nonlinearity = nn::Nonlinearity::sigmoid});
    nn::zeros(linear->bias());
  }
}

}  // namespace

std::vector<int64_t> mnasnet_depths(double alpha) {
  CNN_CHECK(alpha > 0.0, "mnasnet_depths: alpha must be positive, got ", alpha);
  std::vector<int64_t> depths;
  for (const int64_t d : {32, 16, 24, 40, 80, 96, 192, 320}) {
    const double v = static_cast<double>(d) * alpha;
    // torchvision's _round_to_multiple_of(v, 8, round_up_bias=0.9)
    int64_t r = std::max<int64_t>(8, static_cast<int64_t>(v + 4.0) / 8 * 8);
    if (static_cast<double>(r) < 0.9 * v) r += 8;
    depths.push_back(r);
  }
  return depths;
}

MnasBlock::MnasBlock(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                     int64_t expansion, Generator& gen)
    : Module("_InvertedResidual"), residual_(in_channels == out_channels && stride == 1) {
  CNN_CHECK((stride == 1 || stride == 2) && (kernel == 3 || kernel == 5),
            "MnasBlock: stride must be 1 or 2 and kernel 3 or 5, got ", stride, " and ", kernel);
  const int64_t mid = in_channels * expansion;
  layers_ = register_module(
      "layers", std::make_shared<nn::Sequential>(
                    conv_no_bias(in_channels, mid, 1, 1, 1, gen), bn(mid), relu_layer(),
                    conv_no_bias(mid, mid, kernel, stride, mid, gen), bn(mid), relu_layer(),
                    conv_no_bias(mid, out_channels, 1, 1, 1, gen), bn(out_channels)));
}

Tensor MnasBlock::forward(const Tensor& x) {
  // conv, bn (and relu) runs fuse in inference, the residual into the last one (nn/fused.h)
  return nn::sequential_conv_bn_act(*layers_, x, residual_ ? x : Tensor());
}

MnasNet::MnasNet(const MnasNetOptions& options, Generator& gen) : Module("MNASNet") {
  CNN_CHECK(options.classes >= 1 && options.in_channels >= 1,
            "MnasNet: classes and in_channels must be positive, got ", options.classes, " and ",
            options.in_channels);
  const auto d = mnasnet_depths(options.alpha);
  layers_ = register_module(
      "layers", std::make_shared<nn::Sequential>(
                    conv_no_bias(options.in_channels, d[0], 3, 2, 1, gen), bn(d[0]), relu_layer(),
                    conv_no_bias(d[0], d[0], 3, 1, d[0], gen), bn(d[0]), relu_layer(),
                    conv_no_bias(d[0], d[1], 1, 1, 1, gen), bn(d[1])));
  // torchvision's _stack(in, out, kernel, stride, expansion, repeats) for the six stacks.
  auto stack = [&](int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t expansion,
                   int64_t repeats) {
    auto seq = std::make_shared<nn::Sequential>();
    seq->push_back(std::make_shared<MnasBlock>(in, out, kernel, stride, expansion, gen));
    for (int64_t i = 1; i < repeats; ++i)
      seq->push_back(std::make_shared<MnasBlock>(out, out, kernel, 1, expansion, gen));
    return seq;
  };
  layers_->push_back(stack(d[1], d[2], 3, 2, 3, 3));
  layers_->push_back(stack(d[2], d[3], 5, 2, 3, 3));
  layers_->push_back(stack(d[3], d[4], 5, 2, 6, 3));
  layers_->push_back(stack(d[4], d[5], 3, 1, 6, 2));
  layers_->push_back(stack(d[5], d[6], 5, 2, 6, 4));
  layers_->push_back(stack(d[6], d[7], 3, 1, 6, 1));
  layers_->push_back(conv_no_bias(d[7], 1280, 1, 1, 1, gen));
  layers_->push_back(bn(1280));
  layers_->push_back(relu_layer());
  classifier_ = register_module(
      "classifier",
      std::make_shared<nn::Sequential>(std::make_shared<nn::Dropout>(options.dropout, gen),
                                       std::make_shared<nn::Linear>(1280, options.classes, gen)));
  init_mnasnet(*this, gen);
}

Tensor MnasNet::forward(const Tensor& x) {
  return (*classifier_)(global_avg_pool2d(nn::sequential_conv_bn_act(*layers_, x)).flatten(1));
}

}  // namespace cnn::models
