// cnn: train and inspect convolutional networks from the command line.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <new>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "cnn/error.h"
#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"cnn: convolutional neural networks in C++ (NHWC, trained on the CPU)", "cnn"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "cnn 0.1.0");
  // Each entry: the subcommand's name and what runs it.
  const std::vector<std::pair<std::string, cnn::tool::Run>> commands = {
      {"train", cnn::tool::add_train_command(app)},
      {"eval", cnn::tool::add_eval_command(app)},
      {"predict", cnn::tool::add_predict_command(app)},
      {"summary", cnn::tool::add_summary_command(app)},
      {"convert", cnn::tool::add_convert_command(app)},
      {"export", cnn::tool::add_export_command(app)},
      {"lab", cnn::tool::add_lab_command(app)},
      {"bench", cnn::tool::add_bench_command(app)},
      {"formula", cnn::tool::add_formula_command(app)},
  };
  if (argc > 1 && argv[1][0] != '-') {
    const std::string command = argv[1];
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known = known || sub->get_name() == command;
    if (!known) {
      std::cerr << "cnn: unknown command '" << command
                << "'\nRun with --help for more information.\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 with the message and a hint.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (const auto& [name, run] : commands)
      if (app.got_subcommand(name)) return run();
  } catch (const CLI::Error& e) {  // an option rejected once the command knows its context
    std::cerr << "cnn: " << e.what() << "\nRun with --help for more information.\n";
    return 2;
  } catch (const cnn::Error& e) {
    std::cerr << "cnn: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    // Readers and options bound what input can ask for; this is the model or data's own size.
    std::cerr << "cnn: error: out of memory: the command needs more memory than the system "
                 "gives it (a smaller --batch-size, image size or model needs less)\n";
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << "cnn: error: " << (e.path1().empty() ? "" : e.path1().string() + ": ")
              << e.code().message() << "\n";
    return 1;
  } catch (const std::system_error& e) {  // threads the system would not start, and the like
    std::cerr << "cnn: error: the system refused: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "cnn: unexpected error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
