/// \file
/// Checkpoints: one safetensors file holding the tensors of a training run (model weights,
/// optimizer state) and, in its metadata, the run's state as JSON text (epoch, step, schedule
/// position, random-generator state, configuration) and a CRC-32 of both. Written atomically
/// (temporary file, fsync, rename, fsync of the folder): a kill at any moment leaves the
/// previous checkpoint intact. Loading verifies the format and the checksum, then refuses any
/// field outside its range (see load_checkpoint), so that a damaged or forged checkpoint stops
/// with a message naming the field instead of steering a run.
#pragma once

#include <cstdint>
#include <string>

#include "cnn/io/safetensors.h"
#include "cnn/train/config.h"

namespace cnn::train {

/// Samples seen in one epoch: at most limits::kMaxTotalSteps batches of limits::kMaxBatchSize.
/// The other ranges a checkpoint is held to are train::limits (cnn/train/config.h), the same
/// that options and config.json are held to.
inline constexpr int64_t kMaxCheckpointSamples = limits::kMaxTotalSteps * limits::kMaxBatchSize;

struct Checkpoint {
  nn::StateDict tensors;
  std::string state;  ///< JSON text
};

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// Raises cnn::Error naming the file when it is not a cnn checkpoint (a strict safetensors file,
/// see cnn/io/safetensors.h), fails its checksum, or holds a field outside its range, naming
/// the field, the value and the range:
/// - the state: a JSON object with "config" (an object), "classes" (1 to limits::kMaxClasses
///   strings), "input_shape" (check_image_shape), "normalization" (finite means and positive
///   finite standard deviations, one per channel) and, in a trainer's checkpoint (one with
///   "epoch", which --resume needs), "epoch" (0 to limits::kMaxEpochs), "batch" (0 to
///   limits::kMaxTotalSteps), "partial" (a sum of losses and seconds, finite and non-negative;
///   "correct" at most "seen", at most kMaxCheckpointSamples; none seen exactly when "batch"
///   is 0), "history" (one row per epoch done, numbered from 1, accuracies in [0, 1], losses,
///   times and learning rates non-negative, or null where they were not finite),
///   "best_accuracy" (-1 before any epoch, else in [0, 1]) and "threads" (1 to
///   limits::kMaxThreads);
/// - the tensors: every float tensor finite (io::check_finite), every int64 tensor under
///   "optimizer." and "scheduler." (step counts, positions) in [0, limits::kMaxTotalSteps],
///   every random-generator state under "rng." four words, not all zero.
Checkpoint load_checkpoint(const std::string& path);

/// Tensors under "<prefix>." with the prefix removed, e.g. the model's state_dict from "model.".
nn::StateDict with_prefix_removed(const nn::StateDict& tensors, const std::string& prefix);
/// Adds `part` to `into` under "<prefix>.".
void add_with_prefix(nn::StateDict& into, const nn::StateDict& part, const std::string& prefix);

}  // namespace cnn::train
