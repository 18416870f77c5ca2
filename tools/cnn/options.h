// Validators shared by the subcommands: CLI11's numeric ranges print their limits in full;
// these say what they check.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace cnn::tool {

CLI::Validator positive();
CLI::Validator non_negative();
// A probability-like value in [lo, hi).
CLI::Validator in_range(double lo, double hi);
// One of the given words.
CLI::Validator one_of(const std::vector<std::string>& words);

}  // namespace cnn::tool
