// The decode options the image targets pass to cnn::data::decode_image.
#pragma once

#include <cstddef>

#include "cnn/data/image.h"

namespace cnn::fuzz {

// The channel count requested: the input's size modulo 3 picks as stored, gray or colour, so
// that every conversion of decode_image is reached from the same corpus.
//
// Pixels are capped at 2^18 (512 x 512), as OSS-Fuzz's image-library targets cap them: a few
// kilobytes of PNG or JPEG may declare tens of millions of pixels within the reader's default
// limits (valid: deflate expands 1032:1, Huffman-coded JPEG 8192 pixels per byte), and decoding
// and converting those took 3 of every 4 milliseconds of the jpeg target's executions without
// reaching new code. The size checks still run: a larger header is refused by the same test
// against max_pixels, and the per-file-byte ratios are the defaults. The default limits are
// exercised at full size by tests/hostile.
inline cnn::data::DecodeOptions decode_options(size_t size) {
  constexpr int kChannels[] = {0, 1, 3};
  cnn::data::DecodeOptions options{.channels = kChannels[size % 3]};
  options.limits.max_pixels = int64_t{1} << 18;
  return options;
}

}  // namespace cnn::fuzz
