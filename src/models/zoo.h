// Internal: the torchvision-named builders, registered in two parts that registry.cpp
// collects into its name -> builder map.
#pragma once

#include <map>
#include <string>

#include "cnn/models/registry.h"

namespace cnn::models {

// alexnet, alexnet_lecture, vgg*, resnet*, resnext*, wide_resnet*, squeezenet*.
void register_part1(std::map<std::string, Builder>& builders);
// googlenet, inception_v3, densenet*, shufflenet_v2_*, mobilenet_v2, mnasnet*, and the
// small-image densenet_bc_100_12, wrn28_10, resnet164.
void register_part2(std::map<std::string, Builder>& builders);

}  // namespace cnn::models
