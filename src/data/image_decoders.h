// What the PNG and JPEG decoders hand to decode_image (src/data/image.cpp): the samples as
// the codec produced them, before conversion to float and to the requested channel count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cnn/data/image.h"

namespace cnn::data::detail {

// Interleaved samples, row-major: rows x cols x channels, each 1 byte (bits = 8) or 2 bytes
// big-endian (bits = 16, PNG's byte order). channels: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
struct DecodedPixels {
  int64_t rows = 0;
  int64_t cols = 0;
  int channels = 0;
  int bits = 8;
  std::vector<uint8_t> samples;
};

// `bytes` is the whole file; `path` only names it in error messages.
DecodedPixels decode_png(const std::string& path, const uint8_t* bytes, size_t size,
                         const ImageLimits& limits);
DecodedPixels decode_jpeg(const std::string& path, const uint8_t* bytes, size_t size,
                          const ImageLimits& limits);

// Raises unless rows x cols (from the header of a `format` file) is within `limits`; called
// before the decoders allocate anything proportional to the image.
void check_image_size(const std::string& path, const char* format, int64_t rows, int64_t cols,
                      const ImageLimits& limits);

}  // namespace cnn::data::detail
