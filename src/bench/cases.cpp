#include "cnn/bench/cases.h"

#include <sstream>

namespace cnn::bench {

int64_t ConvCase::out_height() const {
  return (height + 2 * padding - kernel) / stride + 1;
}
int64_t ConvCase::out_width() const {
  return (width + 2 * padding - kernel) / stride + 1;
}

double ConvCase::forward_flops() const {
  return 2.0 * static_cast<double>(batch * out_height() * out_width() * out_channels) *
         static_cast<double>(kernel * kernel * in_channels / groups);
}

std::string ConvCase::shape_text() const {
  std::ostringstream out;
  out << kernel << "x" << kernel << "/" << stride << " ";
  if (groups == in_channels && groups == out_channels && groups > 1) {
    out << "dw " << in_channels;
  } else {
    out << in_channels << "->" << out_channels;
    if (groups > 1) out << " g" << groups;
  }
  out << " " << height << "x" << width;
  return out.str();
}

std::vector<ConvCase> resnet20_layers() {
  // src/models/resnet_cifar.cpp with in_channels = 1: 3x3 convolutions, padding 1, no bias;
  // the first block of stages 2 and 3 halves the grid in its conv1 (the option-A shortcut
  // has no convolution).
  auto c = [](const char* layer, int64_t hw, int64_t in, int64_t out, int64_t stride) {
    return ConvCase{.model = "resnet20",
                    .layer = layer,
                    .batch = 128,
                    .height = hw,
                    .width = hw,
                    .in_channels = in,
                    .out_channels = out,
                    .kernel = 3,
                    .stride = stride,
                    .padding = 1};
  };
  return {c("conv1", 28, 1, 16, 1),           c("layer1.0.conv1", 28, 16, 16, 1),
          c("layer2.0.conv1", 28, 16, 32, 2), c("layer2.0.conv2", 14, 32, 32, 1),
          c("layer3.0.conv1", 14, 32, 64, 2), c("layer3.0.conv2", 7, 64, 64, 1)};
}

std::vector<ConvCase> resnet50_layers(int64_t batch) {
  // torchvision's ResNet-50 (v1.5: the 3x3 convolution carries the stride) at 224x224.
  auto c = [batch](const char* layer, int64_t hw, int64_t in, int64_t out, int64_t kernel,
                   int64_t stride) {
    return ConvCase{.model = "resnet50",
                    .layer = layer,
                    .batch = batch,
                    .height = hw,
                    .width = hw,
                    .in_channels = in,
                    .out_channels = out,
                    .kernel = kernel,
                    .stride = stride,
                    .padding = kernel / 2};
  };
  return {c("conv1", 224, 3, 64, 7, 2),
          c("layer1.0.conv1", 56, 64, 64, 1, 1),
          c("layer1.0.conv2", 56, 64, 64, 3, 1),
          c("layer1.0.conv3", 56, 64, 256, 1, 1),
          c("layer2.0.downsample.0", 56, 256, 512, 1, 2),
          c("layer2.1.conv2", 28, 128, 128, 3, 1),
          c("layer3.1.conv2", 14, 256, 256, 3, 1),
          c("layer4.1.conv2", 7, 512, 512, 3, 1),
          c("layer4.1.conv1", 7, 2048, 512, 1, 1)};
}

std::vector<ConvCase> mobilenet_v2_depthwise_layers(int64_t batch) {
  // src/models/mobilenet_v2.cpp at 224x224: the 3x3 depthwise convolution of each inverted
  // residual block (padding 1), one per distinct shape.
  auto c = [batch](const char* layer, int64_t hw, int64_t channels, int64_t stride) {
    return ConvCase{.model = "mobilenet_v2",
                    .layer = layer,
                    .batch = batch,
                    .height = hw,
                    .width = hw,
                    .in_channels = channels,
                    .out_channels = channels,
                    .kernel = 3,
                    .stride = stride,
                    .padding = 1,
                    .groups = channels};
  };
  return {c("features.1.conv.0.0", 112, 32, 1),  c("features.2.conv.1.0", 112, 96, 2),
          c("features.3.conv.1.0", 56, 144, 1),  c("features.4.conv.1.0", 56, 144, 2),
          c("features.5.conv.1.0", 28, 192, 1),  c("features.8.conv.1.0", 14, 384, 1),
          c("features.12.conv.1.0", 14, 576, 1), c("features.14.conv.1.0", 14, 576, 2),
          c("features.15.conv.1.0", 7, 960, 1)};
}

std::vector<ConvCase> layer_cases() {
  std::vector<ConvCase> all = resnet20_layers();
  for (int64_t batch : {1, 16})
    for (const ConvCase& c : resnet50_layers(batch)) all.push_back(c);
  for (int64_t batch : {1, 16})
    for (const ConvCase& c : mobilenet_v2_depthwise_layers(batch)) all.push_back(c);
  return all;
}

const char* mode_name(ModelMode mode) {
  return mode == ModelMode::train ? "train" : "inference";
}

std::vector<ModelCase> model_cases() {
  return {{.model = "resnet20",
           .mode = ModelMode::train,
           .batch = 128,
           .height = 28,
           .width = 28,
           .channels = 1,
           .classes = 10},
          {.model = "resnet18"},
          {.model = "resnet50"},
          {.model = "mobilenet_v2"}};
}

std::vector<GemmCase> gemm_cases(int threads) {
  std::vector<GemmCase> cases = {{.threads = 1}};
  if (threads > 1) cases.push_back({.threads = threads});
  return cases;
}

}  // namespace cnn::bench
