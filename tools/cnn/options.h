// Validators shared by the subcommands: CLI11's numeric ranges print their limits in full;
// these say what they check.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cnn/shape.h"
#include "cnn/train/config.h"

namespace cnn::tool {

CLI::Validator positive();
CLI::Validator non_negative();
// A whole number in [lo, hi] ("-1" is refused where CLI11 would wrap it into an unsigned).
CLI::Validator whole_in(int64_t lo, int64_t hi);
// A positive number that stays positive and finite in float (a learning rate of 1e-60 is 0).
CLI::Validator positive_float();
// A probability-like value in [lo, hi).
CLI::Validator in_range(double lo, double hi);
// One of the given words.
CLI::Validator one_of(const std::vector<std::string>& words);

// "32x32x3" -> [32, 32, 3]; nullopt unless three positive whole numbers joined by 'x'.
std::optional<Shape> parse_image_shape(const std::string& text);
// An image shape HxWxC as parse_image_shape reads it, within train::check_image_shape's limits.
CLI::Validator image_shape();

}  // namespace cnn::tool
