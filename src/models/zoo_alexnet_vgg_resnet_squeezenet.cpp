// torchvision 0.14's names for AlexNet, VGG, ResNet (with ResNeXt and Wide ResNet) and
// SqueezeNet, with the configurations of its builder functions.
#include <array>

#include "cnn/models/alexnet.h"
#include "cnn/models/resnet.h"
#include "cnn/models/squeezenet.h"
#include "cnn/models/vgg.h"
#include "models/zoo.h"

namespace cnn::models {

void register_alexnet_vgg_resnet_squeezenet(std::map<std::string, Builder>& b) {
  b["alexnet"] = alexnet;
  b["alexnet_lecture"] = alexnet_lecture;

  for (int64_t depth : {11, 13, 16, 19}) {
    for (bool batch_norm : {false, true}) {
      std::string name = "vgg" + std::to_string(depth);
      if (batch_norm) name.append("_bn");
      b[name] = [depth, batch_norm](const ModelOptions& o, Generator& gen) {
        return vgg(o, {.depth = depth, .batch_norm = batch_norm}, gen);
      };
    }
  }

  struct Variant {
    const char* name;
    ResNetOptions options;
  };
  using enum ResNetBlock;
  const std::array<Variant, 10> resnets = {{
      {"resnet18", {.block = basic, .layers = {2, 2, 2, 2}}},
      {"resnet34", {.block = basic, .layers = {3, 4, 6, 3}}},
      {"resnet50", {.block = bottleneck, .layers = {3, 4, 6, 3}}},
      {"resnet101", {.block = bottleneck, .layers = {3, 4, 23, 3}}},
      {"resnet152", {.block = bottleneck, .layers = {3, 8, 36, 3}}},
      {"resnext50_32x4d",
       {.block = bottleneck, .layers = {3, 4, 6, 3}, .groups = 32, .width_per_group = 4}},
      {"resnext101_32x8d",
       {.block = bottleneck, .layers = {3, 4, 23, 3}, .groups = 32, .width_per_group = 8}},
      {"resnext101_64x4d",
       {.block = bottleneck, .layers = {3, 4, 23, 3}, .groups = 64, .width_per_group = 4}},
      {"wide_resnet50_2", {.block = bottleneck, .layers = {3, 4, 6, 3}, .width_per_group = 128}},
      {"wide_resnet101_2", {.block = bottleneck, .layers = {3, 4, 23, 3}, .width_per_group = 128}},
  }};
  for (const Variant& v : resnets) {
    b[v.name] = [options = v.options](const ModelOptions& o, Generator& gen) {
      return resnet(o, options, gen);
    };
  }

  for (const char* version : {"1_0", "1_1"}) {
    b[std::string("squeezenet").append(version)] = [v = std::string(version)](const ModelOptions& o,
                                                                              Generator& gen) {
      return squeezenet(o, v, gen);
    };
  }
}

}  // namespace cnn::models
