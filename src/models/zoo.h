// Internal: the torchvision-named builders, registered in two parts that registry.cpp
// collects into its name -> builder map.
#pragma once

#include <map>
#include <string>

#include "cnn/models/registry.h"

namespace cnn::models {

// alexnet, alexnet_lecture, vgg*, resnet*, resnext*, wide_resnet*, squeezenet*.
void register_part1(std::map<std::string, Builder>& builders);
void register_part2(std::map<std::string, Builder>& builders);

}  // namespace cnn::models
