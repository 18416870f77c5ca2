#include "train/data_parallel.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "cnn/error.h"
#include "cnn/nn/norm.h"

namespace cnn::train {
namespace {

bool has_batch_norm(const nn::Module& m) {
  if (dynamic_cast<const nn::BatchNorm2d*>(&m) != nullptr) return true;
  for (const auto& child : m.children())
    if (has_batch_norm(*child)) return true;
  return false;
}

}  // namespace

DataParallel::DataParallel(const ParallelOptions& options, const TrainConfig& config)
    : comm_(options.comm),
      reducer_options_(options.reducer),
      threads_(options.threads),
      sync_bn_(config.sync_bn),
      check_replicas_(options.check_replicas) {
  CNN_CHECK(comm_ != nullptr && comm_->size() > 1, "DataParallel: needs more than one rank");
}

int DataParallel::default_threads() const {
  if (threads_ > 0) return static_cast<int>(threads_);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, comm_->local_size()));
}

void DataParallel::start(nn::Module& model, const TrainConfig& config, int64_t rows) {
  const int64_t ranks = comm_->size(), batch = config.batch_size, last = rows % batch;
  if (sync_bn_) {
    // Sync batch norm runs collectives inside the forward pass, so every rank must run it in
    // every step: each needs at least one row of each batch.
    CNN_CHECK(batch >= ranks && (last == 0 || last >= ranks), "--sync-bn with ", ranks,
              " ranks needs at least ", ranks, " rows in every batch, but ",
              batch < ranks ? "--batch-size is " + std::to_string(batch)
                            : "the last batch of each epoch has " + std::to_string(last) + " (" +
                                  std::to_string(rows) + " training images)",
              "; change --batch-size or --train-limit");
    CNN_CHECK(has_batch_norm(model), "--sync-bn: the model ", config.model,
              " has no BatchNorm2d layer to synchronize");
    distributed::set_sync_batch_norm(model, comm_);
  }
  distributed::broadcast_state(model, *comm_);
  hosts_ = distributed::count_hosts(*comm_);
  reducer_ =
      std::make_unique<distributed::GradientReducer>(model.parameters(), comm_, reducer_options_);
}

DataParallel::StepSums DataParallel::agree(double loss_sum, int64_t correct, bool stop,
                                           bool not_finite) {
  std::vector<double> sums = {not_finite ? 0.0 : loss_sum, static_cast<double>(correct),
                              stop ? 1.0 : 0.0, not_finite ? 1.0 : 0.0};
  comm_->all_reduce_sum(std::span<double>(sums), "the step's loss and accuracy");
  return {sums[0], static_cast<int64_t>(std::llround(sums[1])), sums[2] > 0.0, sums[3] > 0.0};
}

void DataParallel::backward(const Tensor& loss, int64_t rows, int64_t global_rows) {
  reducer_->backward(loss, static_cast<double>(rows) / static_cast<double>(global_rows));
}

void DataParallel::average_buffers(nn::Module& model, int64_t rows, int64_t global_rows) {
  if (sync_bn_) return;  // the statistics were the global batch's on every rank already
  const std::vector<nn::NamedTensor> buffers = model.named_buffers();
  const double weight = static_cast<double>(rows) / static_cast<double>(global_rows);
  std::vector<double> values;
  for (const auto& [name, t] : buffers) {
    const Tensor c = t.contiguous();
    if (c.dtype() == DType::f32) {
      for (int64_t i = 0; i < c.numel(); ++i) values.push_back(weight * c.data()[i]);
    } else {
      for (int64_t i = 0; i < c.numel(); ++i)
        values.push_back(rank() == 0 ? static_cast<double>(c.data_i64()[i]) : 0.0);
    }
  }
  if (values.empty()) return;
  comm_->all_reduce_sum(std::span<double>(values), "the batch-norm running statistics");
  size_t at = 0;
  for (const auto& [name, t] : buffers) {
    Tensor b = t;
    CNN_CHECK(b.is_contiguous(), "DataParallel: buffer ", name, " is not contiguous");
    if (b.dtype() == DType::f32) {
      for (int64_t i = 0; i < b.numel(); ++i) b.data()[i] = static_cast<float>(values[at++]);
    } else {
      for (int64_t i = 0; i < b.numel(); ++i) b.data_i64()[i] = std::llround(values[at++]);
    }
    b.mark_modified();
  }
}

Evaluation DataParallel::reduce(const Evaluation& mine) {
  const size_t classes = mine.confusion.size();
  std::vector<double> sums = {mine.loss * static_cast<double>(mine.examples),
                              static_cast<double>(mine.examples)};
  for (const auto& row : mine.confusion)
    for (int64_t v : row) sums.push_back(static_cast<double>(v));
  comm_->all_reduce_sum(std::span<double>(sums), "the evaluation's sums");
  Evaluation e;
  e.examples = std::llround(sums[1]);
  CNN_CHECK(e.examples > 0, "evaluate: the data set is empty");
  e.loss = sums[0] / sums[1];
  e.confusion.assign(classes, std::vector<int64_t>(classes, 0));
  int64_t correct = 0;
  for (size_t r = 0; r < classes; ++r) {
    for (size_t c = 0; c < classes; ++c) {
      e.confusion[r][c] = std::llround(sums[2 + r * classes + c]);
      if (r == c) correct += e.confusion[r][c];
    }
  }
  e.accuracy = static_cast<double>(correct) / static_cast<double>(e.examples);
  return e;
}

void DataParallel::check_replicas(const nn::Module& model) {
  distributed::check_replicas(model, *comm_);
}

std::string DataParallel::describe(int threads) const {
  const auto kib = reducer_options_.bucket_bytes / 1024;
  return "data-parallel: " + comm_->description() + " on " + std::to_string(hosts_) + " host" +
         (hosts_ == 1 ? "" : "s") + ", " + std::to_string(threads) + " thread" +
         (threads == 1 ? "" : "s") + " each, " +
         (sync_bn_ ? "sync batch norm" : "batch norm per rank") + ", gradient buckets of " +
         (kib >= 1024 && kib % 1024 == 0 ? std::to_string(kib / 1024) + " MiB"
                                         : std::to_string(kib) + " KiB") +
         (reducer_ ? " (" + std::to_string(reducer_->buckets()) + " buckets)" : "");
}

}  // namespace cnn::train
