// Registers the multi-branch, densely connected and mobile networks under torchvision's
// function names (GoogLeNet, Inception v3, DenseNet, ShuffleNet v2, MobileNet v2, MNASNet)
// and the papers' small-image networks (densenet_bc_100_12, wrn28_10, resnet164). Each builder
// takes the number of classes and input channels; everything else is torchvision's default.
#include <memory>

#include "cnn/models/densenet.h"
#include "cnn/models/googlenet.h"
#include "cnn/models/inception_v3.h"
#include "cnn/models/mnasnet.h"
#include "cnn/models/mobilenet_v2.h"
#include "cnn/models/shufflenet_v2.h"
#include "cnn/models/small_image.h"
#include "models/zoo.h"

namespace cnn::models {

void register_inception_densenet_mobile(std::map<std::string, Builder>& b) {
  using Ptr = std::shared_ptr<nn::Module>;
  b["googlenet"] = [](const ModelOptions& o, Generator& gen) -> Ptr {
    return std::make_shared<GoogLeNet>(GoogLeNetOptions{.classes = o.classes,
                                                        .in_channels = o.in_channels,
                                                        .transform_input = o.transform_input},
                                       gen);
  };
  b["inception_v3"] = [](const ModelOptions& o, Generator& gen) -> Ptr {
    return std::make_shared<InceptionV3>(InceptionV3Options{.classes = o.classes,
                                                            .in_channels = o.in_channels,
                                                            .transform_input = o.transform_input},
                                         gen);
  };
  for (const int64_t depth : {121, 161, 169, 201}) {
    b["densenet" + std::to_string(depth)] = [depth](const ModelOptions& o, Generator& gen) -> Ptr {
      DenseNetOptions d = densenet_options(depth);
      d.classes = o.classes;
      d.in_channels = o.in_channels;
      return std::make_shared<DenseNet>(d, gen);
    };
  }
  const std::pair<const char*, double> shufflenets[] = {{"shufflenet_v2_x0_5", 0.5},
                                                        {"shufflenet_v2_x1_0", 1.0},
                                                        {"shufflenet_v2_x1_5", 1.5},
                                                        {"shufflenet_v2_x2_0", 2.0}};
  for (const auto& [name, width] : shufflenets) {
    b[name] = [width = width](const ModelOptions& o, Generator& gen) -> Ptr {
      return std::make_shared<ShuffleNetV2>(
          ShuffleNetV2Options{.width = width, .classes = o.classes, .in_channels = o.in_channels},
          gen);
    };
  }
  b["mobilenet_v2"] = [](const ModelOptions& o, Generator& gen) -> Ptr {
    return std::make_shared<MobileNetV2>(
        MobileNetV2Options{.classes = o.classes, .in_channels = o.in_channels}, gen);
  };
  const std::pair<const char*, double> mnasnets[] = {
      {"mnasnet0_5", 0.5}, {"mnasnet0_75", 0.75}, {"mnasnet1_0", 1.0}, {"mnasnet1_3", 1.3}};
  for (const auto& [name, alpha] : mnasnets) {
    b[name] = [alpha = alpha](const ModelOptions& o, Generator& gen) -> Ptr {
      return std::make_shared<MnasNet>(
          MnasNetOptions{.alpha = alpha, .classes = o.classes, .in_channels = o.in_channels}, gen);
    };
  }
  b["densenet_bc_100_12"] = [](const ModelOptions& o, Generator& gen) -> Ptr {
    DenseNetOptions d = densenet_bc_small_options(100, 12);
    d.classes = o.classes;
    d.in_channels = o.in_channels;
    return std::make_shared<DenseNet>(d, gen);
  };
  b["wrn28_10"] = [](const ModelOptions& o, Generator& gen) -> Ptr {
    PreActResNetOptions p = wide_resnet_options(28, 10);
    p.classes = o.classes;
    p.in_channels = o.in_channels;
    return std::make_shared<PreActResNet>(p, gen);
  };
  b["resnet164"] = [](const ModelOptions& o, Generator& gen) -> Ptr {
    PreActResNetOptions p = preact_bottleneck_options(164);
    p.classes = o.classes;
    p.in_channels = o.in_channels;
    return std::make_shared<PreActResNet>(p, gen);
  };
}

}  // namespace cnn::models
