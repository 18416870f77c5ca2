// The IDX reader (src/data/idx.cpp) on the input as a file: raw IDX, or gzipped IDX when the
// input starts with gzip's magic, then the conversion to tensors the data sets use.
#include "cnn/data/idx.h"
#include "fuzz_target.h"

namespace {

void read_and_convert(const std::string& path) {
  const cnn::data::IdxArray array = cnn::data::read_idx(path);
  if (array.shape.size() == 3) cnn::data::idx_images_to_tensor(array, path);
  if (array.shape.size() == 1) cnn::data::idx_labels_to_tensor(array, path);
}

}  // namespace

CNN_FUZZ_TARGET(idx) {
  read_and_convert(cnn::fuzz::input_file(data, size, "input-idx3-ubyte"));
}
