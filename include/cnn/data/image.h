/// \file
/// Image files: PNG (libpng) and JPEG (libjpeg-turbo) decoded to float32 [H, W, C] in [0, 1],
/// and an 8-bit PNG writer for tests and debugging.
///
/// The decoder is strict, like the IDX reader: the format comes from the magic bytes (never
/// the file name), every corrupt, truncated or hostile file raises a cnn::Error naming the file
/// and the problem ("truncated PNG", "not a PNG or JPEG image (looks like text)"), and the
/// header's dimensions are checked against ImageLimits before any pixel memory is allocated.
///
/// Conversions, so that every file gives 1 or 3 channels of float32:
///   - palette and 1/2/4-bit gray are expanded to 8 bits; 16-bit samples keep full precision
///     (v / 65535); 8-bit samples are v / 255;
///   - an alpha channel (RGBA, gray + alpha, or a tRNS chunk) is dropped, not composited
///     (as PIL's convert("RGB") does for torchvision's ImageFolder);
///   - channels = 3 on a gray image repeats the gray value; channels = 1 on a colour image
///     takes the luma of ITU-R BT.601, 0.299 R + 0.587 G + 0.114 B (PIL's convert("L") and
///     torchvision's rgb_to_grayscale weights).
/// JPEG warnings (corrupt entropy data, a missing end marker) are errors: libjpeg would
/// otherwise return an image with garbage or grey blocks in it. PNG warnings (about ancillary
/// chunks such as colour profiles) are not: the pixels they leave are exact. CMYK JPEGs are
/// refused.
#pragma once

#include <cstdint>
#include <string>

#include "cnn/tensor.h"

namespace cnn::data {

/// Caps checked before decoding, on the dimensions in the file's header.
struct ImageLimits {
  int64_t max_side = 16384;               ///< rows or columns
  int64_t max_pixels = int64_t{1} << 28;  ///< rows * columns
  int64_t max_file_bytes = int64_t{1} << 30;
};

struct DecodeOptions {
  int channels = 0;  ///< 0: as stored (1 for gray, 3 for colour); 1 or 3 converts
  ImageLimits limits = {};
};

/// float32 [H, W, C] with values in [0, 1].
Tensor decode_image(const std::string& path, const DecodeOptions& options = {});

/// Writes float32 [H, W, C] (C = 1 gray, 3 RGB, 4 RGBA) as an 8-bit PNG: each value is clamped
/// to [0, 1] and stored as round(255 v), so decode_image(save_png(t)) returns t exactly when t
/// holds multiples of 1/255. Non-finite values are refused.
void save_png(const std::string& path, const Tensor& image);

}  // namespace cnn::data
