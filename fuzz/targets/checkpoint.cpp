// Checkpoint files (cnn::train::load_checkpoint): safetensors with the run's state and a
// CRC-32 in the metadata.
#include "cnn/train/checkpoint.h"
#include "fuzz_target.h"

CNN_FUZZ_TARGET(checkpoint) {
  cnn::train::load_checkpoint(cnn::fuzz::input_file(data, size, "checkpoint-latest.ckpt"));
}
