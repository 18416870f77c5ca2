#include "cnn/models/resnet_formula.h"

#include <cmath>
#include <string>

#include "cnn/autograd.h"
#include "cnn/nn/containers.h"
#include "cnn/nn/init.h"

namespace cnn::models {
namespace {

// A 3x3 convolution with padding 1 and stride s: the output keeps ceil(H / s) rows.
const char* const kConv3x3 =
    "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, s*x + dx - 1, s*y + dy - 1, i] "
    "where x < (dim(L,1) + s - 1)/s, y < (dim(L,2) + s - 1)/s";

std::shared_ptr<nn::Formula> conv3x3(int64_t in, int64_t out, int64_t stride, Generator& gen) {
  auto conv = std::make_shared<nn::Formula>(
      kConv3x3,
      nn::FormulaLayerOptions{.constants = {{"s", static_cast<double>(stride)}},
                              .parameters = {{.name = "W", .shape = {3, 3, in, out}, .init = {}}},
                              .input = "L"},
      gen);
  // He initialization as resnet20 (torchvision's ResNet): normal, std sqrt(2 / fan_out).
  nn::kaiming_normal(conv->parameters()[0], gen,
                     {.mode = nn::FanMode::fan_out, .nonlinearity = nn::Nonlinearity::relu});
  return conv;
}

std::string batch_norm_output(bool relu, bool residual) {
  std::string value = "G[j] * (L[b,x,y,j] - mu[j]) / sqrt(var[j] + eps) + Beta[j]";
  if (residual) value += " + R[b,x,y,j]";
  return "Y[b,x,y,j] = " + (relu ? "relu(" + value + ")" : value);
}

std::string batch_norm_training(bool relu, bool residual) {
  return "mu[j] = mean(b, x, y: L[b,x,y,j])\n"
         "var[j] = mean(b, x, y: (L[b,x,y,j] - mu[j])^2)\n" +
         batch_norm_output(relu, residual);
}

std::string batch_norm_evaluation(bool relu, bool residual) {
  std::string text = batch_norm_output(relu, residual);
  for (const auto& [from, to] : {std::pair{"mu[j]", "M[j]"}, std::pair{"var[j]", "V[j]"}}) {
    text.replace(text.find(from), std::string(from).size(), to);
  }
  return text;
}

constexpr double kEps = 1e-5;
constexpr double kMomentum = 0.1;

}  // namespace

FormulaBatchNorm::FormulaBatchNorm(int64_t channels, bool relu, bool residual)
    : Module("FormulaBatchNorm2d"),
      train_(batch_norm_training(relu, residual), {.constants = {{"eps", kEps}}}),
      eval_(batch_norm_evaluation(relu, residual), {.constants = {{"eps", kEps}}}),
      residual_(residual) {
  gamma_ = register_parameter("G", Tensor::ones({channels}));
  beta_ = register_parameter("Beta", Tensor::zeros({channels}));
  running_mean_ = register_buffer("running_mean", Tensor::zeros({channels}));
  running_var_ = register_buffer("running_var", Tensor::ones({channels}));
}

Tensor FormulaBatchNorm::forward(const Tensor& x) {
  return forward(x, Tensor());
}

Tensor FormulaBatchNorm::forward(const Tensor& x, const Tensor& residual) {
  CNN_CHECK(residual.defined() == residual_, "FormulaBatchNorm2d: built ",
            residual_ ? "with" : "without", " a residual input");
  std::map<std::string, Tensor> inputs = {{"L", x}, {"G", gamma_}, {"Beta", beta_}};
  if (residual_) inputs["R"] = residual;
  if (!is_training()) {
    inputs["M"] = running_mean_;
    inputs["V"] = running_var_;
    return eval_(inputs);
  }
  const auto results = train_.evaluate_all(inputs);
  // running = (1 - m) running + m batch statistic, the variance unbiased (n / (n - 1)).
  const double n = static_cast<double>(x.size(0) * x.size(1) * x.size(2));
  const auto mu = results.at("mu").to_vector();
  const auto var = results.at("var").to_vector();
  float* rm = running_mean_.data();
  float* rv = running_var_.data();
  for (size_t j = 0; j < mu.size(); ++j) {
    rm[j] = static_cast<float>((1 - kMomentum) * rm[j] + kMomentum * mu[j]);
    rv[j] = static_cast<float>((1 - kMomentum) * rv[j] +
                               kMomentum * var[j] * (n > 1 ? n / (n - 1) : 1.0));
  }
  running_mean_.mark_modified();
  running_var_.mark_modified();
  return results.at("Y");
}

Tensor FormulaBatchNorm::operator()(const Tensor& x, const Tensor& residual) {
  return observed_call(x, [&] { return forward(x, residual); });
}

std::string FormulaBatchNorm::name() const {
  return "FormulaBatchNorm2d(" + std::to_string(gamma_.size(0)) + ")";
}

FormulaBasicBlock::FormulaBasicBlock(int64_t in_channels, int64_t out_channels, int64_t stride,
                                     Generator& gen)
    : Module("FormulaBasicBlock") {
  conv1_ = register_module("conv1", conv3x3(in_channels, out_channels, stride, gen));
  bn1_ = register_module("bn1", std::make_shared<FormulaBatchNorm>(out_channels, true, false));
  conv2_ = register_module("conv2", conv3x3(out_channels, out_channels, 1, gen));
  bn2_ = register_module("bn2", std::make_shared<FormulaBatchNorm>(out_channels, true, true));
  if (stride != 1 || in_channels != out_channels) {
    // The lecture's option A: every s-th row and column, the new channels zero (read outside L).
    shortcut_ = register_module(
        "shortcut",
        std::make_shared<nn::Formula>(
            "Y[b,x,y,j] = L[b, s*x, s*y, j] "
            "where x < (dim(L,1) + s - 1)/s, y < (dim(L,2) + s - 1)/s, j < J",
            nn::FormulaLayerOptions{.constants = {{"s", static_cast<double>(stride)},
                                                  {"J", static_cast<double>(out_channels)}},
                                    .parameters = {},
                                    .input = "L"},
            gen));
  }
}

Tensor FormulaBasicBlock::forward(const Tensor& x) {
  const Tensor h = (*bn1_)((*conv1_)(x));
  const Tensor shortcut = shortcut_ ? (*shortcut_)(x) : x;
  return (*bn2_)((*conv2_)(h), shortcut);
}

ResNetFormula::ResNetFormula(int64_t depth, int64_t classes, int64_t in_channels, Generator& gen)
    : Module("ResNetFormula") {
  CNN_CHECK(depth >= 8 && (depth - 2) % 6 == 0, "ResNetFormula: depth ", depth,
            " is not of the form 6n + 2 (20, 32, 44, 56, 110, ...)");
  CNN_CHECK(classes >= 1 && in_channels >= 1,
            "ResNetFormula: classes and in_channels must be positive");
  const int64_t n = (depth - 2) / 6;
  conv1_ = register_module("conv1", conv3x3(in_channels, 16, 1, gen));
  bn1_ = register_module("bn1", std::make_shared<FormulaBatchNorm>(16, true, false));
  int64_t channels = 16;
  auto stage = [&](int64_t width, int64_t stride) {
    auto seq = std::make_shared<nn::Sequential>();
    for (int64_t i = 0; i < n; ++i) {
      seq->push_back(
          std::make_shared<FormulaBasicBlock>(channels, width, i == 0 ? stride : 1, gen));
      channels = width;
    }
    return seq;
  };
  layer1_ = register_module("layer1", stage(16, 1));
  layer2_ = register_module("layer2", stage(32, 2));
  layer3_ = register_module("layer3", stage(64, 2));
  // Global average pooling, then the fully connected classifier.
  head_ = register_module(
      "fc",
      std::make_shared<nn::Formula>(
          "P[b,j] = mean(x, y: L[b,x,y,j])\nY[b,k] = W[k,j] * P[b,j] + B[k]",
          nn::FormulaLayerOptions{.constants = {},
                                  .parameters = {{.name = "W", .shape = {classes, 64}, .init = {}},
                                                 {.name = "B", .shape = {classes}, .init = {}}},
                                  .input = "L"},
          gen));
  // As nn::Linear (PyTorch's): uniform on (-1/sqrt(64), 1/sqrt(64)) for weight and bias.
  for (const Tensor& p : head_->parameters()) nn::uniform(p, -0.125f, 0.125f, gen);
}

Tensor ResNetFormula::forward(const Tensor& x) {
  const Tensor h = (*bn1_)((*conv1_)(x));
  return (*head_)((*layer3_)((*layer2_)((*layer1_)(h))));
}

}  // namespace cnn::models
