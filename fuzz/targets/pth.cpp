// PyTorch .pth files (cnn::io::load_pth): the zip container, the pickle and the storages.
#include "cnn/io/pth.h"
#include "fuzz_target.h"

CNN_FUZZ_TARGET(pth) {
  cnn::io::load_pth(cnn::fuzz::input_file(data, size, "input.pth"));
}
