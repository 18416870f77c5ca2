// The image decoder (cnn::data::decode_image) on JPEG seeds: libjpeg-turbo with the reader's
// limits, then the conversion to float channels.
#include "cnn/data/image.h"
#include "fuzz_target.h"
#include "targets/image_options.h"

CNN_FUZZ_TARGET(jpeg) {
  cnn::data::decode_image(cnn::fuzz::input_file(data, size, "input.jpg"),
                          cnn::fuzz::decode_options(size));
}
