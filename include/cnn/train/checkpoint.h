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
  nn::StateDict tensors;
  std::string state;  ///< JSON text
};

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// Raises cnn::Error naming the file when it is not a cnn checkpoint or fails its checksum.
Checkpoint load_checkpoint(const std::string& path);

/// Tensors under "<prefix>." with the prefix removed, e.g. the model's state_dict from "model.".
nn::StateDict with_prefix_removed(const nn::StateDict& tensors, const std::string& prefix);
/// Adds `part` to `into` under "<prefix>.".
void add_with_prefix(nn::StateDict& into, const nn::StateDict& part, const std::string& prefix);

}  // namespace cnn::train
