// `cnn lab EXPERIMENT`: the trainability lab (cnn/lab/lab.h). Each experiment writes a folder
// of measurements, pictures and verdict.txt under --out, prints its verdict and regenerates
// the HTML report.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cnn/lab/lab.h"
#include "commands.h"
#include "options.h"

namespace cnn::tool {
namespace {

struct LabArgs {
  std::string experiment;
  lab::LabOptions options;
};

int run_lab(const LabArgs& args) {
  const std::vector<std::string> names = args.experiment == "all"
                                             ? lab::experiment_names()
                                             : std::vector<std::string>{args.experiment};
  for (const std::string& name : names) {
    const lab::ExperimentResult result = lab::run_experiment(name, args.options);
    std::printf("\n%s", result.verdict().c_str());
    std::printf("folder: %s\n\n",
                (std::filesystem::path(args.options.out) / name).string().c_str());
    std::fflush(stdout);
  }
  std::printf("report: %s\n",
              (std::filesystem::path(args.options.out) / "report.html").string().c_str());
  return 0;
}

}  // namespace

Run add_lab_command(CLI::App& app) {
  auto args = std::make_shared<LabArgs>();
  lab::LabOptions& o = args->options;
  std::vector<std::string> choices = lab::experiment_names();
  choices.push_back("all");
  CLI::App* cmd = app.add_subcommand(
      "lab",
      "Trainability lab: test the lecture's claims on vanishing and exploding gradients, "
      "initialization, batch normalization, residual connections and threshold units; writes "
      "measurements, PNG pictures, verdict.txt and report.html");
  cmd->add_option("EXPERIMENT", args->experiment, "the experiment to run, or all of them in turn")
      ->required()
      ->check(one_of(choices));
  cmd->add_flag("--quick", o.quick, "a shortened run of seconds per experiment (for tests)");
  // The defaults differ by experiment and by --quick: docs/LAB.md lists them.
  cmd->add_option("--epochs", o.epochs,
                  "depth, batchnorm: passes over the training images (default: per experiment, "
                  "docs/LAB.md)")
      ->check(whole_in(1, train::limits::kMaxEpochs));
  cmd->add_option("--train-limit", o.train_limit,
                  "depth, batchnorm: use the first N training images (default: per experiment)")
      ->check(whole_in(1, INT64_MAX / 2));
  cmd->add_option("--test-limit", o.test_limit,
                  "depth, batchnorm: evaluate on the first N test images (default: per experiment)")
      ->check(whole_in(1, INT64_MAX / 2));
  cmd->add_option("--batch-size", o.batch_size,
                  "gradients, activations: images in the measured batch (default: per experiment)")
      ->check(whole_in(1, train::limits::kMaxBatchSize));
  cmd->add_option("--seed", o.seed, "seed of initialization, data order and batches")
      ->check(whole_in(0, INT64_MAX))
      ->capture_default_str();
  cmd->add_option("--data", o.data,
                  "folder with MNIST-layout IDX files, or with train/ and test/ image folders")
      ->capture_default_str();
  cmd->add_option("--out", o.out, "folder of the experiment folders and report.html")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "threads (0: every core)")
      ->check(whole_in(0, train::limits::kMaxThreads))
      ->capture_default_str();
  return [args] { return run_lab(*args); };
}

}  // namespace cnn::tool
