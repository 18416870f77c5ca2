// The image decoder (cnn::data::decode_image) on PNG seeds: libpng with the reader's limits,
// then the conversion to float channels.
#include "cnn/data/image.h"
#include "fuzz_target.h"
#include "targets/image_options.h"

CNN_FUZZ_TARGET(png) {
  cnn::data::decode_image(cnn::fuzz::input_file(data, size, "input.png"),
                          cnn::fuzz::decode_options(size));
}
