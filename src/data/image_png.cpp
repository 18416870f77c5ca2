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
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "cnn/error.h"
#include "core/format.h"
#include "data/image_decoders.h"

namespace cnn::data {
namespace {

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

bool read_header(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  return true;
}

// Asks libpng for whole bytes per sample: palette -> RGB, 1/2/4-bit gray -> 8 bits,
// interlaced passes combined. 16-bit samples stay 16-bit (big-endian); alpha stays and is
// dropped later, so that every colour type ends up as 1 to 4 channels of 8 or 16 bits.
bool expand_to_bytes(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png))) return false;
  const int color_type = png_get_color_type(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
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
  png_set_user_limits(s.png(), side, side);

  if (!read_header(s.png(), s.info())) fail_png(path, ctx, "inside the header");
  const int64_t rows = png_get_image_height(s.png(), s.info());
  const int64_t cols = png_get_image_width(s.png(), s.info());

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
  out.samples.resize(static_cast<size_t>(rows) * row_bytes);
  std::vector<png_bytep> row_pointers(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) row_pointers[r] = out.samples.data() + r * row_bytes;
  if (!read_rows(s.png(), row_pointers.data())) fail_png(path, ctx, "inside the image data");
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
