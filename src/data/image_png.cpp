// PNG through libpng, reading from memory and writing to a file.
//
// libpng reports errors by longjmp to a setjmp point. A longjmp that skips a C++ destructor
// is undefined behaviour, so the code is split in two: small functions (read_header,
// expand_to_bytes, read_rows, write_rows) that call setjmp, hold no object with a destructor
// and return false when libpng failed; and C++ callers that own the libpng structs and the
// pixel buffers through RAII and turn `false` into a cnn::Error. The callbacks libpng calls
// (on_error, read_from_memory) likewise hold no C++ objects: messages go to a fixed buffer.
#include <png.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "cnn/error.h"
#include "core/format.h"
#include "data/image_decoders.h"

namespace cnn::data {
namespace {

// png_set_chunk_cache_max's value for "store no text, sPLT or unknown chunk" (0 is unlimited).
constexpr png_uint_32 kStoreNoAncillaryChunks = 1;

// Shared by libpng's callbacks and the C++ side; plain data only.
struct PngContext {
  const uint8_t* bytes = nullptr;  // reading: the whole file
  size_t size = 0;
  size_t position = 0;
  bool truncated = false;
  char message[256] = {};
};

void on_error(png_structp png, png_const_charp message) {
  auto* ctx = static_cast<PngContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->message, sizeof ctx->message, "%s", message);
  png_longjmp(png, 1);
}

// Warnings concern ancillary chunks (colour profiles, text); the pixels are unaffected.
void on_warning(png_structp, png_const_charp) {}

void read_from_memory(png_structp png, png_bytep out, size_t count) {
  auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  if (count > ctx->size - ctx->position) {
    ctx->truncated = true;
    png_error(png, "truncated");
  }
  std::memcpy(out, ctx->bytes + ctx->position, count);
  ctx->position += count;
}

// ---- the setjmp side: no C++ objects below until the next marker ----

// What makes the reader strict and its memory bounded, set before the signature is read:
//   - benign errors are errors: image data left after the last row ("Extra compressed data",
//     "Too much image data"), a chunk over the size limit; libpng would otherwise warn and go
//     on with a damaged image;
//   - libpng's own check for palette indices beyond the palette is off: it runs only on rows
//     libpng transforms, and look_up_palette checks every index instead, naming the pixel;
//   - a CRC error in a critical chunk is an error (in an ancillary chunk, which is never used,
//     the chunk is dropped);
//   - every ancillary chunk (text, colour profiles, tRNS, ...) is skipped unread and none is
//     stored: the decoder uses none of them (alpha is dropped anyway), so compressed text or
//     profiles cannot make libpng inflate anything but the pixels;
//   - chunks longer than `max_chunk_bytes` are refused, and images wider or taller than
//     `max_side` (png_set_user_limits).
bool configure_reader(png_structp png, png_uint_32 max_side, png_alloc_size_t max_chunk_bytes) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_benign_errors(png, 0);
  png_set_check_for_invalid_index(png, 0);
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_WARN_DISCARD);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, -1);
  static const png_byte kTransparency[] = {'t', 'R', 'N', 'S', '\0'};
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kTransparency, 1);
  png_set_chunk_cache_max(png, kStoreNoAncillaryChunks);
  png_set_chunk_malloc_max(png, max_chunk_bytes);
  png_set_user_limits(png, max_side, max_side);
  return true;
}

bool read_header(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  return true;
}

// Asks libpng for whole bytes per sample: palette indices and 1/2/4-bit gray -> 8 bits,
// interlaced passes combined. 16-bit samples stay 16-bit (big-endian); alpha stays and is
// dropped later, so that every colour type ends up as 1 to 4 channels of 8 or 16 bits.
// Palette indices are looked up by the caller, not by libpng: libpng would map an index
// beyond the palette to black without a word (its check for such indices skips rows that it
// does not transform, such as those of 8-bit palette images).
bool expand_to_bytes(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png))) return false;
  const int color_type = png_get_color_type(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_packing(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
    png_set_expand_gray_1_2_4_to_8(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return true;
}

bool read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);  // reads up to IEND: a file cut after the pixels is truncated too
  return true;
}

bool write_rows(png_structp png, png_infop info, std::FILE* file, png_uint_32 cols,
                png_uint_32 rows, int color_type, png_bytepp row_pointers) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_set_IHDR(png, info, cols, rows, 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, row_pointers);
  png_write_end(png, nullptr);
  return true;
}

// ---- the C++ side ----

class PngReadStruct {
 public:
  explicit PngReadStruct(PngContext* ctx) {
    png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
    if (png_ != nullptr) info_ = png_create_info_struct(png_);
  }
  ~PngReadStruct() { png_destroy_read_struct(&png_, &info_, nullptr); }
  PngReadStruct(const PngReadStruct&) = delete;
  PngReadStruct& operator=(const PngReadStruct&) = delete;
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

int64_t big_endian_u32(const uint8_t* p) {
  return (int64_t{p[0]} << 24) | (int64_t{p[1]} << 16) | (int64_t{p[2]} << 8) | p[3];
}

[[noreturn]] void fail_png(const std::string& path, const PngContext& ctx, const char* stage) {
  if (ctx.truncated)
    fail(path, ": truncated PNG: the file ends after ", cnn::detail::with_thousands(ctx.size),
         " bytes, ", stage);
  fail(path, ": corrupt PNG: ", ctx.message, " (", stage, ")");
}

// A copy of the PLTE chunk (libpng has read it when png_read_info returns); `used` when the
// image is stored as palette indices.
struct Palette {
  bool used = false;
  int size = 0;
  std::array<png_color, PNG_MAX_PALETTE_LENGTH> colours{};
};

Palette palette_of(png_structp png, png_infop info) {
  Palette p;
  p.used = png_get_color_type(png, info) == PNG_COLOR_TYPE_PALETTE;
  png_colorp colours = nullptr;
  int size = 0;
  if (p.used && png_get_PLTE(png, info, &colours, &size) != 0 && colours != nullptr) {
    p.size = std::clamp(size, 0, PNG_MAX_PALETTE_LENGTH);
    std::copy(colours, colours + p.size, p.colours.begin());
  }
  return p;
}

// Replaces the `pixels` indices at the front of `samples` by their RGB colours, from the last
// pixel back so that no index is overwritten before it is read (pixel i's colour goes to
// bytes 3i..3i+2, never before byte i). An index beyond the palette is an error.
void look_up_palette(const std::string& path, const Palette& palette, int64_t cols,
                     uint8_t* samples, size_t pixels) {
  for (size_t i = pixels; i-- > 0;) {
    const int index = samples[i];
    if (index >= palette.size)
      fail(path, ": corrupt PNG: palette index ", index, " at row ", i / static_cast<size_t>(cols),
           ", column ", i % static_cast<size_t>(cols), " is beyond the ", palette.size,
           " colours of the palette (PLTE)");
    const png_color& c = palette.colours[static_cast<size_t>(index)];
    samples[3 * i] = c.red;
    samples[3 * i + 1] = c.green;
    samples[3 * i + 2] = c.blue;
  }
}

// The pixel data a header declares must fit in the file: deflate turns one byte into at most
// 1032, so a PNG whose filtered rows (at least rows x cols x bits / 8 bytes, interlaced or not)
// exceed limits.max_png_bytes_per_file_byte times the file's size cannot be valid. Checked
// before anything proportional to the image is allocated.
void check_png_data_size(const std::string& path, size_t file_bytes, int64_t rows, int64_t cols,
                         int bits_per_pixel, const ImageLimits& limits) {
  const int64_t data_bytes = rows * cols * bits_per_pixel / 8;  // rows, cols < 2^31: no overflow
  int64_t capacity = 0;
  if (__builtin_mul_overflow(limits.max_png_bytes_per_file_byte, static_cast<int64_t>(file_bytes),
                             &capacity))
    return;
  using cnn::detail::with_thousands;
  CNN_CHECK(data_bytes <= capacity, path, ": PNG header gives ", rows, " x ", cols, " pixels of ",
            bits_per_pixel, " bits = ", with_thousands(data_bytes),
            " bytes of pixel data, more than a file of ",
            with_thousands(static_cast<int64_t>(file_bytes)), " bytes can hold at the limit of ",
            with_thousands(limits.max_png_bytes_per_file_byte),
            " bytes per file byte (ImageLimits::max_png_bytes_per_file_byte)");
}

}  // namespace

namespace detail {

DecodedPixels decode_png(const std::string& path, const uint8_t* bytes, size_t size,
                         const ImageLimits& limits) {
  PngContext ctx;
  ctx.bytes = bytes;
  ctx.size = size;
  PngReadStruct s(&ctx);
  CNN_CHECK(s.png() != nullptr && s.info() != nullptr, path,
            ": out of memory creating a PNG reader");
  png_set_read_fn(s.png(), &ctx, read_from_memory);
  // The size limits, checked on the IHDR chunk that must follow the signature before libpng
  // reads anything (a file without one is left to libpng to report). libpng enforces the
  // per-side limit again as it reads the IHDR, and computes no buffer size before that.
  if (size >= 24 && std::memcmp(bytes + 12, "IHDR", 4) == 0)
    check_image_size(path, "PNG", big_endian_u32(bytes + 20), big_endian_u32(bytes + 16), limits);
  const auto side = static_cast<png_uint_32>(std::min<int64_t>(limits.max_side, PNG_UINT_31_MAX));
  if (!configure_reader(s.png(), side, static_cast<png_alloc_size_t>(limits.max_png_chunk_bytes)))
    fail(path, ": cannot set up the PNG reader: ", ctx.message);

  if (!read_header(s.png(), s.info())) fail_png(path, ctx, "inside the header");
  const int64_t rows = png_get_image_height(s.png(), s.info());
  const int64_t cols = png_get_image_width(s.png(), s.info());
  check_png_data_size(path, size, rows, cols,
                      png_get_bit_depth(s.png(), s.info()) * png_get_channels(s.png(), s.info()),
                      limits);

  const Palette palette = palette_of(s.png(), s.info());

  if (!expand_to_bytes(s.png(), s.info())) fail_png(path, ctx, "inside the header");
  DecodedPixels out;
  out.rows = rows;
  out.cols = cols;
  out.channels = png_get_channels(s.png(), s.info());
  out.bits = png_get_bit_depth(s.png(), s.info());
  CNN_CHECK(out.channels >= 1 && out.channels <= 4 && (out.bits == 8 || out.bits == 16), path,
            ": PNG decodes to ", out.channels, " channels of ", out.bits,
            " bits, expected 1 to 4 channels of 8 or 16 bits");
  const size_t row_bytes = static_cast<size_t>(cols) * out.channels * (out.bits / 8);
  CNN_CHECK(png_get_rowbytes(s.png(), s.info()) == row_bytes, path, ": PNG row of ",
            png_get_rowbytes(s.png(), s.info()), " bytes, expected ", row_bytes);
  const size_t pixels = static_cast<size_t>(rows) * static_cast<size_t>(cols);
  // Palette images: one index per pixel is read into the front of the RGB buffer.
  out.samples.resize(palette.used ? 3 * pixels : static_cast<size_t>(rows) * row_bytes);
  std::vector<png_bytep> row_pointers(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) row_pointers[r] = out.samples.data() + r * row_bytes;
  if (!read_rows(s.png(), row_pointers.data())) fail_png(path, ctx, "inside the image data");
  if (palette.used) {
    look_up_palette(path, palette, cols, out.samples.data(), pixels);
    out.channels = 3;
  }
  return out;
}

}  // namespace detail

void save_png(const std::string& path, const Tensor& image) {
  CNN_CHECK(image.defined() && image.dtype() == DType::f32 && image.dim() == 3, "save_png: ", path,
            ": image must be float32 [rows, cols, channels], got ",
            image.defined() ? to_string(image.shape()) : "an undefined tensor");
  const int64_t rows = image.size(0), cols = image.size(1), channels = image.size(2);
  CNN_CHECK(channels == 1 || channels == 3 || channels == 4, "save_png: ", path,
            ": channels must be 1, 3 or 4, got shape ", to_string(image.shape()));
  CNN_CHECK(rows >= 1 && cols >= 1 && rows <= PNG_UINT_31_MAX && cols <= PNG_UINT_31_MAX,
            "save_png: ", path, ": cannot store an image of shape ", to_string(image.shape()));
  const Tensor src = image.contiguous();
  const float* p = src.data();
  std::vector<uint8_t> bytes(static_cast<size_t>(src.numel()));
  for (size_t i = 0; i < bytes.size(); ++i) {
    CNN_CHECK(std::isfinite(p[i]), "save_png: ", path, ": non-finite value ", p[i], " at element ",
              i, " of shape ", to_string(image.shape()));
    bytes[i] = static_cast<uint8_t>(std::lround(std::clamp(p[i], 0.0f, 1.0f) * 255.0f));
  }
  std::vector<png_bytep> row_pointers(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) row_pointers[r] = bytes.data() + r * cols * channels;
  const int color_type = channels == 1   ? PNG_COLOR_TYPE_GRAY
                         : channels == 3 ? PNG_COLOR_TYPE_RGB
                                         : PNG_COLOR_TYPE_RGB_ALPHA;

  std::FILE* file = std::fopen(path.c_str(), "wb");
  CNN_CHECK(file != nullptr, "save_png: ", path,
            ": cannot open for writing: ", std::strerror(errno));
  PngContext ctx;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  const bool written = info != nullptr &&
                       write_rows(png, info, file, static_cast<png_uint_32>(cols),
                                  static_cast<png_uint_32>(rows), color_type, row_pointers.data());
  png_destroy_write_struct(&png, &info);
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    std::remove(path.c_str());
    fail("save_png: ", path, ": cannot write: ",
         !written ? (ctx.message[0] != 0 ? ctx.message : "out of memory") : std::strerror(errno));
  }
}

}  // namespace cnn::data
