#include "cnn/models/registry.h"

#include <map>

#include "cnn/error.h"
#include "cnn/models/resnet_cifar.h"
#include "cnn/models/resnet_formula.h"
#include "models/zoo.h"

namespace cnn::models {
namespace {

const std::map<std::string, Builder>& registry() {
  static const std::map<std::string, Builder> builders = [] {
    std::map<std::string, Builder> b;
    for (int64_t depth : {20, 32, 44, 56, 110}) {
      for (bool residual : {true, false}) {
        b[(residual ? "resnet" : "plain") + std::to_string(depth)] =
            [depth, residual](const ModelOptions& o,
                              Generator& gen) -> std::shared_ptr<nn::Module> {
          return std::make_shared<ResNetCifar>(ResNetCifarOptions{.depth = depth,
                                                                  .classes = o.classes,
                                                                  .in_channels = o.in_channels,
                                                                  .residual = residual},
                                               gen);
        };
      }
    }
    for (int64_t depth : {20, 32, 44, 56, 110}) {
      b["resnet" + std::to_string(depth) + "_formula"] =
          [depth](const ModelOptions& o, Generator& gen) -> std::shared_ptr<nn::Module> {
        return std::make_shared<ResNetFormula>(depth, o.classes, o.in_channels, gen);
      };
    }
    register_alexnet_vgg_resnet_squeezenet(b);
    register_inception_densenet_mobile(b);
    return b;
  }();
  return builders;
}

}  // namespace

std::shared_ptr<nn::Module> create(const std::string& name, const ModelOptions& options,
                                   Generator& gen) {
  const auto& r = registry();
  const auto it = r.find(name);
  if (it == r.end()) {
    std::string known;
    for (const auto& [n, _] : r) known.append(known.empty() ? "" : ", ").append(n);
    fail("unknown model '", name, "' (available: ", known, ")");
  }
  CNN_CHECK(!options.transform_input || name == "googlenet" || name == "inception_v3", "model '",
            name, "' has no transform_input option (googlenet and inception_v3 have)");
  return it->second(options, gen);
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& [n, _] : registry()) out.push_back(n);
  return out;
}

bool exists(const std::string& name) {
  return registry().count(name) > 0;
}

}  // namespace cnn::models
