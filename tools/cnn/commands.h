// The subcommands of the `cnn` program. Each registers its options on a CLI11 app and
// returns the function that runs it (exit code 0 on success).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace cnn::tool {

using Run = std::function<int()>;

Run add_train_command(CLI::App& app);

}  // namespace cnn::tool
