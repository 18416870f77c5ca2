// `cnn train`: trains a model, writing a run folder; `--resume DIR` continues one.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <memory>

#include "cnn/distributed.h"
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
  bool distributed = false;  // --distributed: MPI or an error
  double timeout = 60.0;
  double bucket_mib = 1.0;
  bool check_replicas = false;
  std::string step_log;
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

int train(TrainArgs& args, const CLI::App& cmd, const train::ParallelOptions& parallel) {
  const bool resuming = !args.resume.empty();
  if (resuming) {
    // Only --epochs and --lr may change on resume: everything else comes from the checkpoint
    // (the options of the processes, which do not change the run, may be given too).
    for (const CLI::Option* opt : cmd.get_options()) {
      const std::string name = opt->get_name();
      if (opt->count() > 0 && name != "--resume" && name != "--epochs" && name != "--lr" &&
          name != "--help" && name != "--distributed" && name != "--timeout" &&
          name != "--bucket-mib" && name != "--check-replicas" && name != "--step-log")
        throw CLI::ValidationError(name,
                                   "cannot be changed when resuming (the run's own value is used); "
                                   "only --epochs and --lr can");
    }
  }
  train::Trainer trainer =
      resuming ? train::Trainer::resume(
                     args.resume, cmd.get_option("--epochs")->count() ? args.config.epochs : 0,
                     cmd.get_option("--lr")->count() ? args.config.lr : 0.0, parallel)
               : train::Trainer(
                     [&] {
                       train::TrainConfig c = args.config;
                       if (c.out.empty()) c.out = default_run_folder(c.model);
                       return c;
                     }(),
                     parallel);
  if (!args.step_log.empty()) trainer.log_steps(args.step_log);
  const std::vector<train::EpochRecord> history = trainer.run();
  if (trainer.stopped_early()) return 130;
  if (!history.empty() && (!parallel.comm || parallel.comm->rank() == 0)) {
    std::printf("final test accuracy %.2f%% after %d epochs; run folder %s\n",
                100.0 * history.back().metrics.test_accuracy, history.back().metrics.epoch,
                trainer.config().out.c_str());
  }
  return 0;
}

int run(TrainArgs& args, const CLI::App& cmd) {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  std::signal(SIGUSR1, on_interrupt);  // mpirun forwards SIGUSR1 to every rank
  train::ParallelOptions parallel;
  if (args.distributed || distributed::launched_by_mpi()) {
    parallel.comm =
        distributed::init({.timeout_seconds = args.timeout, .require_launcher = args.distributed});
    parallel.reducer.bucket_bytes =
        std::max<int64_t>(1, static_cast<int64_t>(args.bucket_mib * 1024.0 * 1024.0));
    parallel.check_replicas = args.check_replicas;
  }
  if (!parallel.comm || parallel.comm->size() < 2) return train(args, cmd, parallel);
  // One rank's error ends every rank at once: the others would otherwise wait in their next
  // collective until the timeout.
  try {
    return train(args, cmd, parallel);
  } catch (const std::exception& e) {
    parallel.comm->abort(std::string("error: ") + e.what());
  }
  return 1;  // not reached: abort ends the process
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
  cmd->add_option("--step-log", args->step_log,
                  "append each step's loss and accuracy to this CSV file (epoch,step,loss,"
                  "accuracy)");
  cmd->add_flag("--sync-bn", c.sync_bn,
                "data-parallel: batch-norm statistics over every rank's part of the batch "
                "(default: each rank's own)");
  cmd->add_flag("--distributed", args->distributed,
                "train data-parallel over the processes an MPI launcher started (detected "
                "without it: `mpirun -np N cnn train ...`); an error when there is none");
  cmd->add_option("--timeout", args->timeout,
                  "data-parallel: seconds a rank waits for the others in one exchange before "
                  "the job is ended (0: for ever)")
      ->check(in_range(0, 1e6))
      ->capture_default_str();
  cmd->add_option("--bucket-mib", args->bucket_mib,
                  "data-parallel: gradients are summed over ranks in buckets of this many MiB, "
                  "each as soon as backward has produced it")
      ->check(in_range(1.0 / 1024, 1024))
      ->capture_default_str();
  cmd->add_flag("--check-replicas", args->check_replicas,
                "data-parallel test mode: after every step, check that every rank's parameters "
                "are bit-identical")
      ->group("");  // hidden: for tests
  cmd->add_option("--resume", args->resume,
                  "continue the run in this folder from its latest checkpoint");
  return [args, cmd] { return run(*args, *cmd); };
}

}  // namespace cnn::tool
