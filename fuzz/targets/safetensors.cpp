// safetensors files (cnn::io::load_safetensors): the header length, the JSON header, the
// tensors' ranges and the metadata.
#include "cnn/io/safetensors.h"
#include "fuzz_target.h"

CNN_FUZZ_TARGET(safetensors) {
  cnn::io::Metadata metadata;
  cnn::io::load_safetensors(cnn::fuzz::input_file(data, size, "input.safetensors"), &metadata);
}
