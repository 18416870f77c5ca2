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
/// JPEG warnings (corrupt entropy data, a missing end marker, extraneous bytes) are errors:
/// libjpeg would otherwise return an image with garbage or grey blocks in it. libpng's benign
/// errors (a palette index out of range, image data beyond the last row, a CRC error in a
/// critical chunk) are errors too. Ancillary PNG chunks (text, colour profiles, transparency)
/// are skipped unread, since the pixels do not depend on them. CMYK JPEGs are refused.
///
/// A FIFO, socket, device or folder given as the image is refused without being opened for a
/// blocking read.
#pragma once

#include <cstdint>
#include <string>

#include "cnn/tensor.h"

namespace cnn::data {

/// Caps checked before decoding, on the file's size and the dimensions in its header, so that
/// what a decoder allocates is bounded by these and by a multiple of the file's size.
struct ImageLimits {
  int64_t max_side = 16384;               ///< rows or columns
  int64_t max_pixels = int64_t{1} << 28;  ///< rows * columns
  int64_t max_file_bytes = int64_t{1} << 30;
  /// PNG: bytes of pixel data as stored (rows x cols x bits per pixel / 8) per byte of file.
  /// 1032 is deflate's maximum expansion, so no valid PNG is refused; a header that declares
  /// more than the file can hold is refused before the pixels are allocated.
  int64_t max_png_bytes_per_file_byte = 1032;
  /// PNG: the longest chunk accepted (libpng's png_set_chunk_malloc_max; 8,000,000 is libpng's
  /// default). The image data (IDAT) may be longer, up to what the header's size needs.
  int64_t max_png_chunk_bytes = 8000000;
  /// JPEG: pixels per byte of file. Huffman coding needs at least one bit per 8 x 8 block of
  /// the coarsest component, at most 4 x 4 subsampled: 8192 pixels per byte, so no
  /// Huffman-coded JPEG is refused; arithmetic-coded images of one flat colour can exceed it.
  int64_t max_jpeg_pixels_per_file_byte = 8192;
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
