#include "cnn/train/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/models/registry.h"
#include "cnn/nn/activation.h"
#include "cnn/ops/loss.h"
#include "cnn/parallel.h"
#include "cnn/plot/plots.h"
#include "cnn/train/checkpoint.h"
#include "cnn/train/evaluate.h"
#include "cnn/train/trained_model.h"
#include "io/atomic_file.h"
#include "io/temporary_files.h"
#include "train/data_parallel.h"
#include "train/model_factory.h"
#include "train/progress.h"
#include "train/run_setup.h"

namespace cnn::train {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop_requested{false};

// Sums of the epoch in progress, kept in checkpoints so a resumed epoch reports the same
// training loss and accuracy as an uninterrupted one.
struct Partial {
  double loss_sum = 0.0;
  int64_t correct = 0;
  int64_t seen = 0;
  double seconds = 0.0;
};

std::string format_metrics_csv(const std::vector<EpochRecord>& history) {
  std::ostringstream out;
  out << "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second,lr\n";
  out.precision(9);
  for (const EpochRecord& r : history) {
    const EpochMetrics& m = r.metrics;
    out << m.epoch << ',' << m.train_loss << ',' << m.train_accuracy << ',' << m.test_loss << ','
        << m.test_accuracy << ',' << m.seconds << ',' << m.images_per_second << ',' << r.lr << '\n';
  }
  return out.str();
}

json history_to_json(const std::vector<EpochRecord>& history) {
  json rows = json::array();
  for (const EpochRecord& r : history) {
    const EpochMetrics& m = r.metrics;
    rows.push_back({m.epoch, m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy,
                    m.seconds, m.images_per_second, r.lr});
  }
  return rows;
}

std::vector<EpochRecord> history_from_json(const json& rows) {
  // JSON has no NaN: a non-finite metric (a test loss that overflowed) was written as null
  const auto number = [](const json& v) {
    return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
  };
  std::vector<EpochRecord> out;
  for (const json& row : rows) {
    EpochRecord r;
    r.metrics = {row.at(0).get<int>(), number(row.at(1)), number(row.at(2)), number(row.at(3)),
                 number(row.at(4)),    number(row.at(5)), number(row.at(6))};
    r.lr = number(row.at(7));
    out.push_back(r);
  }
  return out;
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * fraction);
  return buf;
}

}  // namespace

std::string latest_checkpoint_path(const std::string& run_folder) {
  return (fs::path(run_folder) / "checkpoint-latest.ckpt").string();
}

std::string best_checkpoint_path(const std::string& run_folder) {
  return (fs::path(run_folder) / "checkpoint-best.ckpt").string();
}

struct Trainer::State {
  RunSetup run;
  int64_t epoch = 0;  // position of the next step: epoch and batch within it
  int64_t batch = 0;
  Partial partial;
  std::vector<EpochRecord> history;
  double best_accuracy = -1.0;
  bool stopped = false;
  std::unique_ptr<DataParallel> parallel;  // more than one rank
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> step_log{nullptr, &std::fclose};
  Progress progress{stdout, ::isatty(STDOUT_FILENO) != 0};

  const TrainConfig& config() const { return run.config; }
  // Rank 0 (or the only process) writes the run folder and prints.
  bool writer() const { return !parallel || parallel->writer(); }

  // Everything that changes while training, as one checkpoint.
  Checkpoint checkpoint() const {
    Checkpoint c;
    add_with_prefix(c.tensors, run.model->state_dict(), "model");
    add_with_prefix(c.tensors, run.optimizer->state_dict(), "optimizer");
    add_with_prefix(c.tensors, run.scheduler->state_dict(), "scheduler");
    add_with_prefix(c.tensors, dropout_generator_states(*run.model), "rng");
    json state = describe_model(run);
    state["epoch"] = epoch;
    state["batch"] = batch;
    state["partial"] = {{"loss_sum", partial.loss_sum},
                        {"correct", partial.correct},
                        {"seen", partial.seen},
                        {"seconds", partial.seconds}};
    state["history"] = history_to_json(history);
    state["best_accuracy"] = best_accuracy;
    state["threads"] = num_threads();
    c.state = state.dump();
    return c;
  }

  // The run's position and sums from a checkpoint's state, each checked against what this
  // run can have reached: a checkpoint edited or damaged so that its CRC still holds (or
  // written by another program) must not start training at epoch -3 or step 10^12.
  void restore(const Checkpoint& c, const json& state, const std::string& path) {
    const int64_t steps = run.train_loader->batches_per_epoch();
    const int64_t batch_size = config().batch_size;
    const auto in = [&](const char* field, auto value, auto lo, auto hi) {
      CNN_CHECK(value >= lo && value <= hi, path, ": the checkpoint's ", field, " is ", value,
                ", outside [", lo, ", ", hi, "]");
      return value;
    };
    try {
      epoch = in("epoch", state.at("epoch").get<int64_t>(), int64_t{0}, config().epochs);
      batch = in("batch", state.at("batch").get<int64_t>(), int64_t{0}, steps - 1);
      const json& p = state.at("partial");
      partial.seen =
          in("partial.seen", p.at("seen").get<int64_t>(), int64_t{0}, batch * batch_size);
      partial.correct =
          in("partial.correct", p.at("correct").get<int64_t>(), int64_t{0}, partial.seen);
      partial.loss_sum = in("partial.loss_sum", p.at("loss_sum").get<double>(), 0.0,
                            std::numeric_limits<double>::max());
      partial.seconds = in("partial.seconds", p.at("seconds").get<double>(), 0.0,
                           std::numeric_limits<double>::max());
      history = history_from_json(state.at("history"));
      best_accuracy = in("best_accuracy", state.at("best_accuracy").get<double>(), -1.0, 1.0);
    } catch (const json::exception& e) {
      fail(path, ": the checkpoint's state is malformed: ", e.what());
    }
    CNN_CHECK(static_cast<int64_t>(history.size()) == epoch, path, ": the checkpoint records ",
              history.size(), " epochs of history for ", epoch, " epochs done");
    for (size_t i = 0; i < history.size(); ++i) {
      CNN_CHECK(history[i].metrics.epoch == static_cast<int>(i) + 1, path,
                ": the checkpoint's history row ", i + 1, " is for epoch ",
                history[i].metrics.epoch);
      // Checkpoints written before best tracking was fixed stored the best from before the
      // epoch they close; the history has the true best.
      const double a = history[i].metrics.test_accuracy;
      if (a >= 0.0 && a <= 1.0) best_accuracy = std::max(best_accuracy, a);
    }
    run.model->load_state_dict(with_prefix_removed(c.tensors, "model"));
    run.optimizer->load_state_dict(with_prefix_removed(c.tensors, "optimizer"));
    run.scheduler->load_state_dict(with_prefix_removed(c.tensors, "scheduler"));
    CNN_CHECK(run.scheduler->position() == epoch * steps + batch, path,
              ": the checkpoint's schedule position ", run.scheduler->position(),
              " is not the step it records, epoch ", epoch, " x ", steps, " steps + step ", batch);
    load_dropout_generator_states(*run.model, with_prefix_removed(c.tensors, "rng"));
  }

  // Re-runs a step whose loss or gradients were not finite with anomaly detection on, and
  // raises an error naming where the first NaN or infinity appeared.
  [[noreturn]] void diagnose(const Tensor& x, const Tensor& y, float loss) {
    std::string where = "re-running the step with anomaly detection found no NaN or infinity";
    if (!x.defined()) {
      where = "this rank had no rows in the step";
    } else {
      try {
        autograd::DetectAnomalyGuard guard;
        run.optimizer->zero_grad();
        cross_entropy((*run.model)(x), y,
                      {.label_smoothing = static_cast<float>(config().label_smoothing)})
            .backward();
      } catch (const Error& e) {
        where = e.what();
      }
    }
    const std::string latest = latest_checkpoint_path(config().out);
    const std::string kept =
        fs::exists(latest) ? "the checkpoint " + latest + " (written before this epoch) is kept"
                           : std::string("no checkpoint had been written yet");
    fail("training stopped at epoch ", epoch + 1, ", step ", batch + 1, ": ",
         std::isfinite(loss) ? "a gradient is not finite"
                             : "the loss is not finite (" + std::to_string(loss) + ")",
         ". ", where, ". Nothing was saved for this step; ", kept,
         ". A smaller --lr usually helps.");
  }

  bool gradients_finite() const {
    for (const Tensor& p : run.optimizer->params())
      if (!autograd::all_finite(p.grad())) return false;
    return true;
  }

  struct StepResult {
    double loss_sum = 0.0;  // of the step's per-example losses, every rank's
    int64_t correct = 0;
    bool stop = false;  // a stop was requested: checkpoint and return
  };

  // One optimizer step on this rank's rows of the batch (all of them in one process).
  StepResult step(const data::Batch& b) {
    const int64_t rows = b.y.numel();
    Tensor loss;
    float value = 0.0f;
    StepResult r;
    if (rows > 0) {
      const Tensor logits = (*run.model)(b.x);
      loss = cross_entropy(logits, b.y,
                           {.label_smoothing = static_cast<float>(config().label_smoothing)});
      value = loss.item();
      const std::vector<int64_t> predicted = argmax_rows(logits);
      for (size_t i = 0; i < predicted.size(); ++i) r.correct += predicted[i] == b.y.data_i64()[i];
    }
    r.loss_sum = static_cast<double>(value) * static_cast<double>(rows);
    bool finite = std::isfinite(value);
    if (parallel) {  // every rank takes the same branch below
      const DataParallel::StepSums sums =
          parallel->agree(r.loss_sum, r.correct, g_stop_requested.exchange(false), !finite);
      r = {sums.loss_sum, sums.correct, sums.stop};
      finite = !sums.not_finite;
      if (!finite && std::isfinite(value)) value = std::numeric_limits<float>::quiet_NaN();
    }
    run.optimizer->zero_grad();
    if (!finite) diagnose(b.x, b.y, value);
    if (parallel) {
      parallel->backward(loss, rows, b.global_rows);
    } else {
      loss.backward();
    }
    if (!gradients_finite()) diagnose(b.x, b.y, value);
    if (parallel) parallel->average_buffers(*run.model, rows, b.global_rows);
    run.optimizer->step();
    run.scheduler->step();
    if (parallel && parallel->checking_replicas()) parallel->check_replicas(*run.model);
    if (!parallel) r.stop = g_stop_requested.exchange(false);
    return r;
  }

  void write_records(const Evaluation& test) {
    const std::string folder = config().out;
    io::write_file_atomically((fs::path(folder) / "metrics.csv").string(),
                              format_metrics_csv(history));
    std::vector<EpochMetrics> rows;
    for (const EpochRecord& r : history) rows.push_back(r.metrics);
    plot_training_curves(folder, rows);
    plot::plot_confusion_matrix((fs::path(folder) / "confusion.png").string(), test.confusion,
                                run.data.classes,
                                config().model + " after epoch " + std::to_string(epoch) +
                                    ": test accuracy " + percent(test.accuracy));
  }

  void finish_epoch() {
    const auto classes = static_cast<int64_t>(run.data.classes.size());
    if (parallel) parallel->set_activity("epoch " + std::to_string(epoch + 1) + ", evaluation");
    const Evaluation test =
        parallel ? parallel->reduce(evaluate_shard(*run.model, *run.test_loader, classes))
                 : evaluate(*run.model, *run.test_loader, classes);
    EpochRecord r;
    r.metrics.epoch = static_cast<int>(epoch + 1);
    r.metrics.train_loss = partial.loss_sum / static_cast<double>(partial.seen);
    r.metrics.train_accuracy =
        static_cast<double>(partial.correct) / static_cast<double>(partial.seen);
    r.metrics.test_loss = test.loss;
    r.metrics.test_accuracy = test.accuracy;
    r.metrics.seconds = partial.seconds;
    r.metrics.images_per_second = static_cast<double>(partial.seen) / partial.seconds;
    r.lr = run.optimizer->lr();
    history.push_back(r);
    ++epoch;
    batch = 0;
    partial = {};
    // The best accuracy is updated before either checkpoint is written, so that the latest
    // one carries the best including this epoch: a run resumed from it compares the next
    // epochs with that. The best checkpoint is written first: if the program dies between the
    // two, the latest still holds the epoch before, which is re-run and found best again.
    const bool best = test.accuracy > best_accuracy;
    if (best) best_accuracy = test.accuracy;
    if (writer()) {
      const Checkpoint c = checkpoint();
      if (best) save_checkpoint(best_checkpoint_path(config().out), c);
      save_checkpoint(latest_checkpoint_path(config().out), c);
      write_records(test);
    }
    char line[256];
    std::snprintf(line, sizeof line,
                  "epoch %lld/%lld  train loss %.4f acc %s  test loss %.4f acc %s%s  %.1f s  %.0f "
                  "img/s  lr %.4g",
                  static_cast<long long>(epoch), static_cast<long long>(config().epochs),
                  r.metrics.train_loss, percent(r.metrics.train_accuracy).c_str(), test.loss,
                  percent(test.accuracy).c_str(), best ? " (best)" : "", r.metrics.seconds,
                  r.metrics.images_per_second, r.lr);
    progress.line(line);
  }

  void run_epochs() {
    const int64_t steps = run.train_loader->batches_per_epoch();
    for (; epoch < config().epochs;) {
      progress.start_epoch(epoch, config().epochs, steps, batch);
      const auto start = Clock::now();
      const double seconds_before = partial.seconds;
      for (data::Batch& b : run.train_loader->epoch(epoch, batch)) {
        if (parallel)
          parallel->set_activity("epoch " + std::to_string(epoch + 1) + ", step " +
                                 std::to_string(b.index + 1));
        const StepResult r = step(b);
        partial.loss_sum += r.loss_sum;
        partial.correct += r.correct;
        partial.seen += b.global_rows;
        if (step_log) {
          const double rows = static_cast<double>(b.global_rows);
          const long long epoch_number = epoch + 1, step_number = b.index + 1;
          std::fprintf(step_log.get(), "%lld,%lld,%.9g,%.9g\n", epoch_number, step_number,
                       r.loss_sum / rows, static_cast<double>(r.correct) / rows);
          std::fflush(step_log.get());
        }
        batch = b.index + 1;
        partial.seconds =
            seconds_before + std::chrono::duration<double>(Clock::now() - start).count();
        progress.step(b.index, partial.loss_sum / static_cast<double>(partial.seen),
                      static_cast<double>(partial.seen) / partial.seconds);
        if (r.stop) {
          if (writer()) save_checkpoint(latest_checkpoint_path(config().out), checkpoint());
          progress.line("stopped at epoch " + std::to_string(epoch + 1) + ", step " +
                        std::to_string(batch) +
                        "; checkpoint written. Continue with: cnn train --resume " + config().out);
          stopped = true;
          return;
        }
      }
      finish_epoch();
    }
  }
};

Trainer::Trainer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Trainer::~Trainer() = default;
Trainer::Trainer(Trainer&&) noexcept = default;

namespace {

// The run folder must be creatable before the data is loaded (minutes, for a large set): a
// path under a file, or in a folder this user cannot write, is refused at once.
void check_run_folder(const std::string& out) {
  std::error_code ec;
  const fs::path folder = fs::absolute(out, ec);
  CNN_CHECK(!ec, out, ": not a usable run folder path: ", ec.message());
  if (fs::exists(folder, ec)) {
    CNN_CHECK(fs::is_directory(folder, ec), out, ": --out names a file, not a folder");
    CNN_CHECK(::access(folder.c_str(), W_OK | X_OK) == 0, out,
              ": cannot write into the run folder: ", std::strerror(errno));
    return;
  }
  fs::path existing = folder.parent_path();
  while (!existing.empty() && !fs::exists(existing, ec) && existing != existing.root_path())
    existing = existing.parent_path();
  CNN_CHECK(fs::is_directory(existing, ec), out,
            ": cannot create the run folder: ", existing.string(), " is a file, not a folder");
  CNN_CHECK(::access(existing.c_str(), W_OK | X_OK) == 0, out, ": cannot create the run folder in ",
            existing.string(), ": ", std::strerror(errno));
}

}  // namespace

namespace {

// The data-parallel part of a run (null in one process), its threads set: the configuration's,
// else an equal share of the machine's cores for each of its ranks.
std::unique_ptr<DataParallel> data_parallel(const ParallelOptions& options,
                                            const TrainConfig& config) {
  if (!options.comm || options.comm->size() < 2) return nullptr;
  auto parallel = std::make_unique<DataParallel>(options, config);
  if (config.threads == 0) set_num_threads(parallel->default_threads());
  return parallel;
}

Shard shard_of(const DataParallel* parallel) {
  return parallel ? Shard{parallel->rank(), parallel->comm().size()} : Shard{};
}

}  // namespace

Trainer::Trainer(const TrainConfig& config, const ParallelOptions& options) {
  config.validate();
  auto state = std::make_unique<State>();
  state->parallel = data_parallel(options, config);
  const bool writer = state->writer();
  const fs::path folder(config.out);
  if (writer) {
    check_run_folder(config.out);
    CNN_CHECK(!fs::exists(latest_checkpoint_path(config.out)), config.out,
              ": this folder holds a run already; continue it with --resume ", config.out,
              " or choose another --out");
  }
  // before creating the folder: bad data leaves none
  state->run = setup_run(config, std::nullopt, shard_of(state->parallel.get()));
  if (state->parallel)
    state->parallel->start(*state->run.model, config, state->run.data.train->size());
  if (writer) {
    fs::create_directories(folder);
    if (is_onnx_model(config.model) && !fs::exists(folder / "model.onnx")) {
      // the run keeps its own copy of the graph: checkpoints hold the weights, this the ops
      fs::copy_file(config.model, folder / "model.onnx.tmp", fs::copy_options::overwrite_existing);
      fs::rename(folder / "model.onnx.tmp", folder / "model.onnx");
    }
    io::write_file_atomically((folder / "config.json").string(), config.to_json() + "\n");
  } else {
    state->progress = Progress(nullptr, false);
  }
  state_ = std::move(state);
  state_->progress.line(describe_run(state_->run));
  if (state_->parallel) state_->progress.line(state_->parallel->describe(num_threads()));
}

Trainer Trainer::resume(const std::string& folder, int64_t epochs, double lr,
                        const ParallelOptions& options) {
  const std::string path = latest_checkpoint_path(folder);
  CNN_CHECK(fs::exists(path), folder, ": no checkpoint-latest.ckpt to resume from");
  const bool distributed = options.comm && options.comm->size() > 1;
  const bool writer = !distributed || options.comm->rank() == 0;
  if (writer) io::remove_stale_temporary_files(folder);  // of writes a killed run left unfinished
  const Checkpoint c = load_checkpoint(path);
  json state;
  try {
    state = json::parse(c.state);
    CNN_CHECK(state.is_object() && state.contains("config") && state.contains("threads") &&
                  state.contains("epoch"),
              path, ": the checkpoint's state lacks its config, threads or epoch");
    (void)state.at("threads").get<int64_t>();
    (void)state.at("epoch").get<int64_t>();
  } catch (const json::exception& e) {
    fail(path, ": the checkpoint's state is malformed: ", e.what());
  }
  TrainConfig config = TrainConfig::from_json(state.at("config").dump(), path);
  config.out = folder;
  if (epochs > 0) config.epochs = epochs;
  if (lr > 0.0) config.lr = lr;
  config.validate();
  CNN_CHECK(state.at("epoch").get<int64_t>() <= config.epochs, folder, ": the run has done ",
            state.at("epoch").get<int64_t>(), " epochs already, more than --epochs ",
            config.epochs);
  const auto threads = state.at("threads").get<int64_t>();
  CNN_CHECK(threads >= 1 && threads <= limits::kMaxThreads, path, ": the checkpoint's threads is ",
            threads, ", outside [1, ", limits::kMaxThreads, "]");
  auto s = std::make_unique<State>();
  // One process continues with the run's threads (bit-identical to the run left alone); ranks
  // take their share of the cores, as a new data-parallel run does.
  s->parallel = data_parallel(options, config);
  if (!s->parallel) set_num_threads(static_cast<int>(threads));
  ChannelStats normalization;
  try {
    normalization = normalization_of(state);
  } catch (const json::exception& e) {
    fail(path, ": the checkpoint's normalization is malformed: ", e.what());
  }
  s->run = setup_run(config, normalization, shard_of(s->parallel.get()));
  s->restore(c, state, path);
  if (s->parallel) s->parallel->start(*s->run.model, config, s->run.data.train->size());
  if (writer) {
    io::write_file_atomically((fs::path(folder) / "config.json").string(), config.to_json() + "\n");
  } else {
    s->progress = Progress(nullptr, false);
  }
  s->progress.line("resuming " + folder + " at epoch " + std::to_string(s->epoch + 1) + ", step " +
                   std::to_string(s->batch + 1));
  s->progress.line(describe_run(s->run));
  if (s->parallel) s->progress.line(s->parallel->describe(num_threads()));
  return Trainer(std::move(s));
}

std::vector<EpochRecord> Trainer::run() {
  state_->run_epochs();
  return state_->history;
}

void Trainer::log_steps(const std::string& path) {
  if (!state_->writer()) return;
  const bool fresh = !fs::exists(path);
  state_->step_log.reset(std::fopen(path.c_str(), "a"));
  CNN_CHECK(state_->step_log != nullptr, path,
            ": cannot open the step log: ", std::strerror(errno));
  if (fresh) std::fputs("epoch,step,loss,accuracy\n", state_->step_log.get());
}

bool Trainer::stopped_early() const {
  return state_->stopped;
}
const TrainConfig& Trainer::config() const {
  return state_->config();
}
void Trainer::request_stop() {
  g_stop_requested = true;
}

}  // namespace cnn::train
