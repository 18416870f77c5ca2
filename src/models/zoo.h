#pragma once

#include <map>
#include <string>

#include "cnn/models/registry.h"

namespace cnn::models {

void register_part1(std::map<std::string, Builder>&);
void register_part2(std::map<std::string, Builder>&);

}  // namespace cnn::models
