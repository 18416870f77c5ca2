// What the trainer does differently on more than one rank (docs/DISTRIBUTED.md): the same
// start on every rank, the step's sums agreed before backward, gradients summed by the
// bucketed reducer, buffers kept identical, evaluations reduced.
#pragma once

#include <memory>
#include <string>

#include "cnn/distributed.h"
#include "cnn/nn/module.h"
#include "cnn/train/config.h"
#include "cnn/train/evaluate.h"
#include "cnn/train/trainer.h"

namespace cnn::train {

class DataParallel {
 public:
  // One rank of `options.comm` (which has more than one rank).
  DataParallel(const ParallelOptions& options, const TrainConfig& config);

  distributed::Communicator& comm() const { return *comm_; }
  int rank() const { return comm_->rank(); }
  // Rank 0 writes the run folder and prints.
  bool writer() const { return comm_->rank() == 0; }
  // The threads of this rank when the configuration says 0 (every core).
  int default_threads() const;

  // Before the first step: checks that sync batch norm can give every rank rows in every
  // step (`rows` training examples), turns it on when asked, checks that every rank built the
  // same model and copies rank 0's parameters and buffers to all, and builds the reducer.
  void start(nn::Module& model, const TrainConfig& config, int64_t rows);

  // The step's sums over ranks, agreed before backward so that every rank takes the same
  // branch (a non-finite loss, a stop request).
  struct StepSums {
    double loss_sum = 0.0;  // of per-example losses
    int64_t correct = 0;
    bool stop = false;        // some rank was asked to stop
    bool not_finite = false;  // some rank's loss is not finite
  };
  StepSums agree(double loss_sum, int64_t correct, bool stop, bool not_finite);

  // Backward from this rank's mean loss over `rows` of the step's `global_rows`, then the
  // gradients summed over ranks (those of the global batch's mean loss). An undefined loss:
  // this rank had no rows.
  void backward(const Tensor& loss, int64_t rows, int64_t global_rows);

  // Without sync batch norm each rank's running statistics followed its own shard: they
  // become the average over ranks weighted by rows (integer buffers: rank 0's), the same bits
  // on every rank.
  void average_buffers(nn::Module& model, int64_t rows, int64_t global_rows);

  // This rank's evaluation of its shard of the test set -> the whole test set's.
  Evaluation reduce(const Evaluation& mine);

  // Test mode (ParallelOptions::check_replicas): raises unless the replicas are identical.
  void check_replicas(const nn::Module& model);
  bool checking_replicas() const { return check_replicas_; }

  // Named when a collective times out.
  void set_activity(const std::string& activity) { comm_->set_activity(activity); }

  // "data-parallel: MPI (Open MPI v4.1.4), 2 ranks on 1 host, 1 thread each, sync batch norm,
  // gradient buckets of 1 MiB (2 buckets)"
  std::string describe(int threads) const;

 private:
  std::shared_ptr<distributed::Communicator> comm_;
  distributed::ReducerOptions reducer_options_;
  std::unique_ptr<distributed::GradientReducer> reducer_;
  int64_t threads_ = 0;
  int64_t hosts_ = 1;  // machines (groups of ranks that share memory)
  bool sync_bn_ = false;
  bool check_replicas_ = false;
};

}  // namespace cnn::train
