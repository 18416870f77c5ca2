// The subcommands of the `cnn` program. Each registers its options on a CLI11 app and
// returns the function that runs it (its exit code: 0 on success).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace cnn::tool {

using Run = std::function<int()>;

Run add_train_command(CLI::App& app);    // train_command.cpp
Run add_eval_command(CLI::App& app);     // eval_command.cpp
Run add_predict_command(CLI::App& app);  // predict_command.cpp
Run add_summary_command(CLI::App& app);  // summary_command.cpp
Run add_convert_command(CLI::App& app);  // convert_command.cpp
Run add_export_command(CLI::App& app);   // export_command.cpp
Run add_lab_command(CLI::App& app);      // lab_command.cpp
Run add_bench_command(CLI::App& app);    // bench_command.cpp
Run add_formula_command(CLI::App& app);  // formula_command.cpp

}  // namespace cnn::tool
