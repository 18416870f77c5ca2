// Internal: the torchvision-named builders, registered by family (one file each) into the
// name -> builder map that registry.cpp collects.
#pragma once

#include <map>
#include <string>

#include "cnn/models/registry.h"

namespace cnn::models {

// alexnet, alexnet_lecture, vgg*, resnet*, resnext*, wide_resnet*, squeezenet*.
void register_alexnet_vgg_resnet_squeezenet(std::map<std::string, Builder>& builders);
// googlenet, inception_v3, densenet*, shufflenet_v2_*, mobilenet_v2, mnasnet*, and the
// small-image densenet_bc_100_12, wrn28_10, resnet164.
void register_inception_densenet_mobile(std::map<std::string, Builder>& builders);

}  // namespace cnn::models
