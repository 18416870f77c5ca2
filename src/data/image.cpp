// decode_image: reads the file (a regular file only, size capped), recognises the format by its
// magic bytes, hands the bytes to the PNG or JPEG decoder, and converts the samples to float32 [H,
// W, C].
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <new>
#include <string_view>

#include "cnn/data/image.h"
#include "cnn/error.h"
#include "core/format.h"
#include "core/input_file.h"
#include "data/image_decoders.h"

namespace cnn::data {
namespace detail {

void check_image_size(const std::string& path, const char* format, int64_t rows, int64_t cols,
                      const ImageLimits& limits) {
  CNN_CHECK(rows >= 1 && cols >= 1, path, ": ", format, " header gives an empty image of ", rows,
            " x ", cols, " pixels");
  CNN_CHECK(rows <= limits.max_side && cols <= limits.max_side, path, ": ", format,
            " header gives ", rows, " x ", cols, " pixels, over the limit of ", limits.max_side,
            " per side (ImageLimits::max_side)");
  CNN_CHECK(rows * cols <= limits.max_pixels, path, ": ", format, " header gives ", rows, " x ",
            cols, " = ", cnn::detail::with_thousands(static_cast<int64_t>(rows * cols)),
            " pixels, over the limit of ",
            cnn::detail::with_thousands(static_cast<int64_t>(limits.max_pixels)),
            " (ImageLimits::max_pixels)");
}

}  // namespace detail

namespace {

constexpr uint8_t kPngMagic[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr uint8_t kJpegMagic[] = {0xff, 0xd8, 0xff};

// Raises unless every limit is positive: a zero or negative one would refuse every image.
void check_limits(const std::string& path, const ImageLimits& l) {
  CNN_CHECK(l.max_side >= 1 && l.max_pixels >= 1 && l.max_file_bytes >= 1 &&
                l.max_png_bytes_per_file_byte >= 1 && l.max_png_chunk_bytes >= 1 &&
                l.max_jpeg_pixels_per_file_byte >= 1,
            "decode_image: ", path, ": every ImageLimits field must be at least 1, got max_side ",
            l.max_side, ", max_pixels ", l.max_pixels, ", max_file_bytes ", l.max_file_bytes,
            ", max_png_bytes_per_file_byte ", l.max_png_bytes_per_file_byte,
            ", max_png_chunk_bytes ", l.max_png_chunk_bytes, ", max_jpeg_pixels_per_file_byte ",
            l.max_jpeg_pixels_per_file_byte);
}

template <size_t N>
bool starts_with(const std::vector<uint8_t>& bytes, const uint8_t (&magic)[N]) {
  return bytes.size() >= N && std::equal(magic, magic + N, bytes.begin());
}

// A file shorter than a signature but equal to its start is a truncated file of that format.
template <size_t N>
bool is_prefix_of(const std::vector<uint8_t>& bytes, const uint8_t (&magic)[N]) {
  return !bytes.empty() && bytes.size() < N && std::equal(bytes.begin(), bytes.end(), magic);
}

// What a file that is not PNG or JPEG seems to be, for the error message.
std::string describe_other(const std::vector<uint8_t>& bytes) {
  const size_t n = std::min<size_t>(bytes.size(), 256);
  const bool text = std::all_of(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n),
                                [](uint8_t c) { return std::isprint(c) || std::isspace(c); });
  if (text) return "looks like text";
  const auto has = [&](size_t at, std::string_view magic) {
    return bytes.size() >= at + magic.size() &&
           std::memcmp(bytes.data() + at, magic.data(), magic.size()) == 0;
  };
  using namespace std::string_view_literals;
  if (has(0, "GIF87a"sv) || has(0, "GIF89a"sv)) return "looks like a GIF image";
  if (has(0, "RIFF"sv) && has(8, "WEBP"sv)) return "looks like a WebP image";
  if (has(0, "II*\0"sv) || has(0, "MM\0*"sv)) return "looks like a TIFF image";
  if (has(0, "BM"sv)) return "looks like a BMP image";
  if (has(0, "\x1f\x8b"sv)) return "looks like a gzip file";
  if (has(0, "PK\x03\x04"sv)) return "looks like a zip file";
  char hex[16];
  std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", bytes[0], bytes.size() > 1 ? bytes[1] : 0,
                bytes.size() > 2 ? bytes[2] : 0, bytes.size() > 3 ? bytes[3] : 0);
  return std::string("starts with bytes ") + hex;
}

// One sample as a float in [0, 1].
inline float sample(const uint8_t* p, int bits) {
  if (bits == 8) return static_cast<float>(p[0]) / 255.0f;
  return static_cast<float>((p[0] << 8) | p[1]) / 65535.0f;
}

// [H, W, C]: drops alpha (channels 2 and 4), then gray <-> RGB as `want` asks (0: keep).
Tensor to_float(const detail::DecodedPixels& px, int want) {
  const int colour = px.channels >= 3 ? 3 : 1;
  const int out_channels = want == 0 ? colour : want;
  const int bytes_per_sample = px.bits / 8;
  const size_t stride = static_cast<size_t>(px.channels) * bytes_per_sample;
  Tensor t = Tensor::empty({px.rows, px.cols, out_channels});
  float* out = t.data();
  const uint8_t* in = px.samples.data();
  const int64_t pixels = px.rows * px.cols;
  for (int64_t i = 0; i < pixels; ++i, in += stride, out += out_channels) {
    if (colour == 1) {
      const float v = sample(in, px.bits);
      std::fill(out, out + out_channels, v);
    } else {
      const float r = sample(in, px.bits), g = sample(in + bytes_per_sample, px.bits),
                  b = sample(in + 2 * bytes_per_sample, px.bits);
      if (out_channels == 3) {
        out[0] = r;
        out[1] = g;
        out[2] = b;
      } else {
        // ITU-R BT.601 luma; clamped because the rounded weights may sum to just over 1.
        out[0] = std::min(1.0f, 0.299f * r + 0.587f * g + 0.114f * b);
      }
    }
  }
  return t;
}

// The file read whole, its format recognised, decoded and converted to float32.
Tensor decode_bytes(const std::string& path, const DecodeOptions& options) {
  const std::vector<uint8_t> bytes = cnn::detail::read_whole_file(
      path, "an image", static_cast<uint64_t>(options.limits.max_file_bytes),
      "ImageLimits::max_file_bytes");
  CNN_CHECK(!bytes.empty(), path, ": empty file (0 bytes), not a PNG or JPEG image");
  detail::DecodedPixels px;
  if (starts_with(bytes, kPngMagic)) {
    px = detail::decode_png(path, bytes.data(), bytes.size(), options.limits);
  } else if (starts_with(bytes, kJpegMagic)) {
    px = detail::decode_jpeg(path, bytes.data(), bytes.size(), options.limits);
  } else if (is_prefix_of(bytes, kPngMagic) || is_prefix_of(bytes, kJpegMagic)) {
    fail(path, ": truncated ", is_prefix_of(bytes, kPngMagic) ? "PNG" : "JPEG",
         ": the file ends after ", bytes.size(), " bytes, inside the signature");
  } else {
    fail(path, ": not a PNG or JPEG image (", describe_other(bytes), ")");
  }
  return to_float(px, options.channels);
}

}  // namespace

Tensor decode_image(const std::string& path, const DecodeOptions& options) {
  CNN_CHECK(options.channels == 0 || options.channels == 1 || options.channels == 3,
            "decode_image: ", path, ": channels must be 0 (as stored), 1 or 3, got ",
            options.channels);
  check_limits(path, options.limits);
  try {
    return decode_bytes(path, options);
  } catch (const std::bad_alloc&) {
    fail(path, ": out of memory decoding the image (ImageLimits::max_pixels is ",
         cnn::detail::with_thousands(options.limits.max_pixels), ")");
  }
}

}  // namespace cnn::data
