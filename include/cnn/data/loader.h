/// \file
/// DataLoader: batches of a Dataset, shuffled, augmented and built ahead by a producer thread.
///
/// ```
///   DataLoader loader(dataset, transform, {.batch_size = 128, .shuffle = true, .seed = 1});
///   for (int64_t e = 0; e < epochs; ++e)
///     for (Batch& batch : loader.epoch(e)) train_step(batch.x, batch.y);
/// ```
///
/// Determinism (a resumed run must repeat an interrupted one bit for bit):
///   - the order of epoch e is a Fisher-Yates shuffle driven by a Generator seeded from
///     (seed, e) alone (the identity order when shuffle is off);
///   - the example at position k of epoch e is transformed with a Generator seeded from
///     (seed, e, k) alone, so augmentation does not depend on threads or on where a run started;
///   - epoch(e, start_batch) yields exactly the batches start_batch, start_batch + 1, ... of
///     epoch(e, 0).
///
/// An Epoch owns its producer thread, which calls Dataset::get, applies the transform and copies
/// the examples into the batch tensors, keeping up to `prefetch` finished batches in a queue
/// (prefetch = 0: no thread, each batch is built when the loop asks for it). The loop waits
/// while the queue is empty. Leaving the loop early (break, an exception) destroys the Epoch,
/// which stops the thread and joins it without waiting for the epoch to finish. An exception
/// thrown while building a batch is raised in the loop, after the batches built before it; a
/// cnn::Error keeps its message behind the epoch, batch and dataset index where it happened.
/// An Epoch holds the dataset and transform by shared_ptr: it may outlive its DataLoader.
#pragma once

#include <cstdint>
#include <memory>

#include "cnn/data/dataset.h"
#include "cnn/data/transforms.h"
#include "cnn/tensor.h"

namespace cnn::data {

struct DataLoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = false;
  bool drop_last = false;  ///< drop a last batch smaller than batch_size
  uint64_t seed = 0;
  int64_t prefetch = 2;  ///< batches built ahead by the producer thread; 0: no thread
  /// Data-parallel training: each batch is split into `shards` consecutive slices, of sizes
  /// that differ by at most one (the first ones larger), and this loader yields slice `shard`
  /// of every batch. The batches, their order and every example's augmentation are those of
  /// the unsharded loader, so the shards of all ranks together are exactly its batches. A
  /// batch smaller than `shards` leaves the last slices empty (Batch::y has 0 rows, x is
  /// undefined).
  int64_t shard = 0;
  int64_t shards = 1;
};

struct Batch {
  Tensor x;                 ///< float32 [B, H, W, C]
  Tensor y;                 ///< int64 [B]
  int64_t index = 0;        ///< position of the batch in its epoch
  int64_t global_rows = 0;  ///< rows of the whole batch, every shard's (B when unsharded)
};

class Epoch {
 public:
  class Producer;  // the queue and the thread, in loader.cpp

  struct End {};
  class Iterator {
   public:
    Batch& operator*() const;
    Batch* operator->() const { return &**this; }
    Iterator& operator++();
    bool operator==(End) const;

   private:
    friend class Epoch;
    explicit Iterator(Epoch* epoch) : epoch_(epoch) {}
    Epoch* epoch_;
  };

  Epoch(Epoch&&) noexcept;
  Epoch& operator=(Epoch&&) noexcept;
  ~Epoch();

  /// Single pass: begin() fetches the first batch and may be called once.
  Iterator begin();
  End end() const { return {}; }

 private:
  friend class DataLoader;
  explicit Epoch(std::unique_ptr<Producer> producer);
  std::unique_ptr<Producer> producer_;
};

class DataLoader {
 public:
  /// `transform` may be null (no transform).
  DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Transform> transform,
             const DataLoaderOptions& options = {});

  /// The batches of epoch `epoch` (>= 0), from batch `start_batch` (0 <= start_batch <=
  /// batches_per_epoch()) on. The producer starts at once.
  Epoch epoch(int64_t epoch, int64_t start_batch = 0) const;

  int64_t batches_per_epoch() const;
  const DataLoaderOptions& options() const { return options_; }
  const Dataset& dataset() const { return *dataset_; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const Transform> transform_;
  DataLoaderOptions options_;
};

}  // namespace cnn::data
