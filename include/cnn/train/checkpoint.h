/// \file
/// Checkpoints: one safetensors file holding the tensors of a training run (model weights,
/// optimizer state) and, in its metadata, the run's state as JSON text (epoch, step, schedule
/// position, random-generator state, configuration) and a CRC-32 of both. Written atomically
/// (temporary file, fsync, rename, fsync of the folder): a kill at any moment leaves the
/// previous checkpoint intact. Loading verifies the format and the checksum.
#pragma once

#include <string>

#include "cnn/io/safetensors.h"

namespace cnn::train {

struct Checkpoint {
  io::TensorMap tensors;
  std::string state;  ///< JSON text
};

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// Raises cnn::Error naming the file when it is not a cnn checkpoint or fails its checksum.
Checkpoint load_checkpoint(const std::string& path);

/// Tensors under `"<prefix>."` with the prefix removed, e.g. the model's state_dict from "model.".
io::TensorMap with_prefix_removed(const io::TensorMap& tensors, const std::string& prefix);
/// Adds `part` to `into` under `"<prefix>."`.
void add_with_prefix(io::TensorMap& into, const io::TensorMap& part, const std::string& prefix);

}  // namespace cnn::train
