// `cnn train`: trains a model, writing a run folder; `--resume DIR` continues one.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <memory>

#include "cnn/models/registry.h"
#include "cnn/optim/schedule.h"
#include "cnn/train/trainer.h"
#include "commands.h"
#include "io/temporary_files.h"
#include "options.h"

namespace cnn::tool {
namespace {

struct TrainArgs {
  train::TrainConfig config;
  std::string resume;
};

// runs/<model>-<date>-<time> (an ONNX file's name without its folder and extension), unique
// within the folder.
std::string default_run_folder(const std::string& model) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  const std::string name = std::filesystem::path(model).stem().string();
  std::string base = "runs/" + name + "-" + stamp, folder = base;
  for (int i = 2; std::filesystem::exists(folder); ++i) folder = base + "-" + std::to_string(i);
  return folder;
}

// The first Ctrl-C asks the trainer to checkpoint and stop after the current step; a second
// one ends the program at once (the default action), for when that step is long in coming.
extern "C" void on_interrupt(int signal) {
  static volatile std::sig_atomic_t seen = 0;
  if (seen != 0) {
    io::remove_temporary_files();  // a checkpoint or picture half written is not left behind
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  seen = 1;
  static const char kMessage[] =
      "\nstopping after the current step (Ctrl-C again to quit at once)\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  train::Trainer::request_stop();
}

int run(TrainArgs& args, const CLI::App& cmd) {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const bool resuming = !args.resume.empty();
  if (resuming) {
    // Only --epochs and --lr may change on resume: everything else comes from the checkpoint.
    for (const CLI::Option* opt : cmd.get_options()) {
      const std::string name = opt->get_name();
      if (opt->count() > 0 && name != "--resume" && name != "--epochs" && name != "--lr" &&
          name != "--help")
        throw CLI::ValidationError(name,
                                   "cannot be changed when resuming (the run's own value is used); "
                                   "only --epochs and --lr can");
    }
  }
  train::Trainer trainer =
      resuming ? train::Trainer::resume(
                     args.resume, cmd.get_option("--epochs")->count() ? args.config.epochs : 0,
                     cmd.get_option("--lr")->count() ? args.config.lr : 0.0)
               : train::Trainer([&] {
                   train::TrainConfig c = args.config;
                   if (c.out.empty()) c.out = default_run_folder(c.model);
                   return c;
                 }());
  const std::vector<train::EpochRecord> history = trainer.run();
  if (trainer.stopped_early()) return 130;
  if (!history.empty()) {
    std::printf("final test accuracy %.2f%% after %d epochs; run folder %s\n",
                100.0 * history.back().metrics.test_accuracy, history.back().metrics.epoch,
                trainer.config().out.c_str());
  }
  return 0;
}

}  // namespace

Run add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  train::TrainConfig& c = args->config;
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train a model (default: ResNet-20 on Fashion-MNIST), writing a run folder with config.json, "
      "metrics.csv, checkpoints and PNG plots");
  cmd->add_option("--model", c.model,
                  "model name (cnn summary --list), or an ONNX file (*.onnx) to fine-tune")
      ->check(CLI::Validator(
          [](std::string& value) {
            if (value.size() > 5 && value.compare(value.size() - 5, 5, ".onnx") == 0)
              return std::filesystem::is_regular_file(value) ? std::string()
                                                             : "no such ONNX file: " + value;
            const std::vector<std::string> names = models::names();
            if (std::find(names.begin(), names.end(), value) != names.end()) return std::string();
            return "unknown model '" + value +
                   "' (cnn summary --list names them; an ONNX file ends in .onnx)";
          },
          "MODEL|FILE.onnx"))
      ->capture_default_str();
  cmd->add_option("--num-classes", c.num_classes,
                  "replace an ONNX model's classifier when its outputs differ from the data's "
                  "classes (give the data's count)")
      ->check(whole_in(1, train::limits::kMaxClasses));
  cmd->add_option("--data", c.data,
                  "folder with MNIST-layout IDX files, or with train/ and test/ folders of class "
                  "sub-folders of PNG/JPEG images")
      ->capture_default_str();
  cmd->add_option("--epochs", c.epochs, "passes over the training images")
      ->check(whole_in(1, train::limits::kMaxEpochs))
      ->capture_default_str();
  cmd->add_option("--batch-size", c.batch_size, "images per step")
      ->check(whole_in(1, train::limits::kMaxBatchSize))
      ->capture_default_str();
  cmd->add_option("--optimizer", c.optimizer, "sgd (Nesterov momentum) | adam | adamw")
      ->check(one_of({"sgd", "adam", "adamw"}))
      ->capture_default_str();
  cmd->add_option("--lr", c.lr, "learning rate (the peak for onecycle)")
      ->check(positive_float())
      ->capture_default_str();
  cmd->add_option("--momentum", c.momentum, "SGD momentum")
      ->check(in_range(0, 1))
      ->capture_default_str();
  cmd->add_option("--weight-decay", c.weight_decay, "weight decay (decoupled for adamw)")
      ->check(non_negative())
      ->capture_default_str();
  cmd->add_option("--schedule", c.schedule, "learning-rate schedule")
      ->check(one_of(optim::schedule_names()))
      ->capture_default_str();
  cmd->add_option("--warmup-epochs", c.warmup_epochs,
                  "epochs of linear warm-up before the schedule")
      ->check(whole_in(0, train::limits::kMaxEpochs))
      ->capture_default_str();
  cmd->add_option("--label-smoothing", c.label_smoothing, "label smoothing of the cross-entropy")
      ->check(in_range(0, 1))
      ->capture_default_str();
  cmd->add_option("--resize", c.resize,
                  "resize images to N x N first, for models whose smallest input is larger "
                  "(docs/MODELS.md); 0: off")
      ->check(whole_in(0, train::limits::kMaxImageSide))
      ->capture_default_str();
  cmd->add_option("--crop-padding", c.crop_padding,
                  "random crop after zero padding by N pixels (0: off)")
      ->check(whole_in(0, train::limits::kMaxImageSide))
      ->capture_default_str();
  cmd->add_flag("--flip,!--no-flip", c.flip, "random horizontal flips")->capture_default_str();
  cmd->add_option("--erasing", c.erasing, "probability of random erasing")
      ->check(in_range(0, 1.0000001))
      ->capture_default_str();
  cmd->add_option("--seed", c.seed, "seed of initialization, shuffling and augmentation")
      ->check(whole_in(0, INT64_MAX))
      ->capture_default_str();
  cmd->add_option("--threads", c.threads, "threads (0: every core)")
      ->check(whole_in(0, train::limits::kMaxThreads))
      ->capture_default_str();
  cmd->add_option("--train-limit", c.train_limit, "use only the first N training images (0: all)")
      ->check(whole_in(0, INT64_MAX / 2))
      ->capture_default_str();
  cmd->add_option("--test-limit", c.test_limit, "evaluate on the first N test images (0: all)")
      ->check(whole_in(0, INT64_MAX / 2))
      ->capture_default_str();
  cmd->add_option("--out", c.out, "run folder (default: runs/<model>-<date>-<time>)");
  cmd->add_option("--resume", args->resume,
                  "continue the run in this folder from its latest checkpoint");
  return [args, cmd] { return run(*args, *cmd); };
}

}  // namespace cnn::tool
