/// \file
/// The training loop behind `cnn train`: data, augmentation, model, optimizer and schedule from
/// a TrainConfig; a run folder with the configuration, metrics.csv, the latest and the best
/// checkpoint and the pictures (loss.png, accuracy.png, confusion.png).
///
/// Reproducibility: every random choice derives from the seed (initialization from a Generator
/// seeded with it; the order and augmentation of epoch e from (seed, e, position)), and a
/// checkpoint holds everything else that changes while training (weights, batch-norm
/// statistics, optimizer state, schedule position, the position in the data, partial sums of
/// the epoch in progress, dropout generators). With the same thread count, a run resumed from
/// any checkpoint, even one written mid-epoch on request (Ctrl-C), finishes bit-identical to
/// the same run left uninterrupted.
///
/// A loss or gradient that is not finite stops training: the step is re-run with anomaly
/// detection to name the op where NaN or infinity first appeared, and cnn::Error reports it;
/// the checkpoints already written are left as they were.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cnn/distributed.h"
#include "cnn/train/config.h"
#include "cnn/train/training_curves.h"

namespace cnn::train {

struct EpochRecord {
  EpochMetrics metrics;
  double lr = 0.0;  ///< the learning rate of the epoch's last step
};

/// Data-parallel training (docs/DISTRIBUTED.md): every rank of `comm` runs the same Trainer on
/// its shard of each global batch (TrainConfig::batch_size rows, whatever the number of
/// ranks); gradients are summed over ranks while backward runs, metrics are reduced, and rank 0
/// alone writes the run folder. Checkpoints do not depend on the number of ranks.
struct ParallelOptions {
  std::shared_ptr<distributed::Communicator> comm;  ///< null or one rank: one process
  distributed::ReducerOptions reducer;
  /// Threads per rank when TrainConfig::threads is 0 (every core): 0 gives each rank of a
  /// machine an equal share of its cores.
  int64_t threads = 0;
  /// Test mode: after every step, raise cnn::Error unless every rank's parameters and buffers
  /// are bit-identical (a checksum all-gathered).
  bool check_replicas = false;
};

class Trainer {
 public:
  /// A new run in config.out: creates the folder (which must not hold a run already) and writes
  /// config.json. Raises cnn::Error on an invalid configuration or data.
  explicit Trainer(const TrainConfig& config, const ParallelOptions& options = {});
  /// Continues the run in `folder` from its latest checkpoint. `epochs` > 0 changes the planned
  /// number of epochs and `lr` > 0 the base learning rate; either re-plans the schedule, so
  /// the run then differs from the uninterrupted one. Any number of ranks may continue a run.
  static Trainer resume(const std::string& folder, int64_t epochs = 0, double lr = 0.0,
                        const ParallelOptions& options = {});
  ~Trainer();
  Trainer(Trainer&&) noexcept;

  /// Trains the remaining epochs and returns every epoch's record (earlier ones included).
  /// Returns early, after writing a checkpoint, when request_stop() was called.
  std::vector<EpochRecord> run();
  bool stopped_early() const;
  const TrainConfig& config() const;

  /// Appends a line "epoch,step,loss,accuracy" to `path` after every step from now on (the
  /// step's mean loss and accuracy over the whole batch, every rank's rows), written by rank 0;
  /// the file gets a header when new. Raises cnn::Error when it cannot be opened.
  void log_steps(const std::string& path);

  /// Asks the trainer to stop after its current (or next) step; the request is consumed when it
  /// stops. Async-signal-safe.
  static void request_stop();

 private:
  struct State;
  explicit Trainer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// The files of a run folder.
std::string latest_checkpoint_path(const std::string& run_folder);
std::string best_checkpoint_path(const std::string& run_folder);

}  // namespace cnn::train
