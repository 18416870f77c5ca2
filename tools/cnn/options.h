// Validators shared by the subcommands: CLI11's numeric ranges print their limits in full;
// these say what they check.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cnn/shape.h"

namespace cnn::tool {

CLI::Validator positive();
CLI::Validator non_negative();
// A probability-like value in [lo, hi).
CLI::Validator in_range(double lo, double hi);
// One of the given words.
CLI::Validator one_of(const std::vector<std::string>& words);

// "32x32x3" -> [32, 32, 3]; nullopt unless three positive whole numbers joined by 'x'.
std::optional<Shape> parse_image_shape(const std::string& text);
// An image shape HxWxC as parse_image_shape reads it.
CLI::Validator image_shape();

}  // namespace cnn::tool
