// The channel count the image targets request: the input's size modulo 3 picks as stored,
// gray or colour, so that every conversion of decode_image is reached from the same corpus.
#pragma once

#include <cstddef>

namespace cnn::fuzz {

inline int requested_channels(size_t size) {
  constexpr int kChannels[] = {0, 1, 3};
  return kChannels[size % 3];
}

}  // namespace cnn::fuzz
