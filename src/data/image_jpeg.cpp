// JPEG through libjpeg(-turbo), reading from memory.
//
// libjpeg's default error handler calls exit(); ours formats the message into a fixed buffer
// and longjmps back to a setjmp point instead. As in image_png.cpp, the functions that call
// setjmp (read_header, read_scanlines) hold no object with a destructor, so the jump skips
// nothing; the caller owns the decompressor and the pixel buffer through RAII.
//
// Warnings are errors here: libjpeg "recovers" from a truncated file or corrupt entropy data
// by inventing the missing pixels, which would put silent garbage into a training set. A
// progress monitor caps the number of progressive scans, the known way to make a small
// hostile file take minutes to decode.
#include <csetjmp>
#include <cstdio>  // before jpeglib.h, which uses size_t and FILE without declaring them

#include <jpeglib.h>

#include <jerror.h>  // after jpeglib.h: the message codes of libjpeg's errors and warnings

#include "cnn/error.h"
#include "core/format.h"
#include "data/image_decoders.h"

namespace cnn::data {
namespace {

// libjpeg-turbo's own tools refuse more than 500 scans (TJFLAG_LIMITSCANS); a normal
// progressive JPEG has about 10.
constexpr int kMaxScans = 500;

// Plain data shared with libjpeg's callbacks; `manager` must stay the first member, since
// libjpeg hands the callbacks a pointer to it.
struct JpegErrors {
  jpeg_error_mgr manager;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  bool truncated = false;
  char message[JMSG_LENGTH_MAX] = {};
};

JpegErrors& errors_of(j_common_ptr cinfo) {
  return *reinterpret_cast<JpegErrors*>(cinfo->err);
}

void on_error(j_common_ptr cinfo) {
  JpegErrors& e = errors_of(cinfo);
  (*cinfo->err->format_message)(cinfo, e.message);
  std::longjmp(e.jump, 1);
}

// level < 0: a warning (treated as an error); level >= 0: trace output, ignored.
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  errors_of(cinfo).truncated = cinfo->err->msg_code == JWRN_JPEG_EOF;
  on_error(cinfo);
}

void on_progress(j_common_ptr cinfo) {
  const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number <= kMaxScans) return;
  JpegErrors& e = errors_of(cinfo);
  std::snprintf(e.message, sizeof e.message, "more than %d progressive scans (hostile file?)",
                kMaxScans);
  std::longjmp(e.jump, 1);
}

// ---- the setjmp side: no C++ objects below until the next marker ----

bool read_header(jpeg_decompress_struct* cinfo, JpegErrors* errors, const uint8_t* bytes,
                 size_t size, int* header_status) {
  if (setjmp(errors->jump)) return false;
  jpeg_create_decompress(cinfo);
  cinfo->progress = &errors->progress;
  jpeg_mem_src(cinfo, bytes, static_cast<unsigned long>(size));
  *header_status = jpeg_read_header(cinfo, TRUE);
  return true;
}

// Decodes every scanline into `out` (`rows` rows of `row_bytes`, sized from the header) and
// reads to the end marker, so that a file cut after the last scanline is reported truncated.
bool read_scanlines(jpeg_decompress_struct* cinfo, JpegErrors* errors, uint8_t* out,
                    JDIMENSION rows, size_t row_bytes) {
  if (setjmp(errors->jump)) return false;
  jpeg_start_decompress(cinfo);
  if (cinfo->output_height != rows ||
      static_cast<size_t>(cinfo->output_width) * cinfo->output_components != row_bytes) {
    std::snprintf(errors->message, sizeof errors->message,
                  "decoder output of %u x %u x %d does not match the header", cinfo->output_height,
                  cinfo->output_width, cinfo->output_components);
    return false;
  }
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = out + static_cast<size_t>(cinfo->output_scanline) * row_bytes;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

// ---- the C++ side ----

// Owns the decompressor; jpeg_destroy_decompress is safe on a zeroed or half-created one.
struct JpegDecompressor {
  jpeg_decompress_struct cinfo = {};
  JpegErrors errors = {};
  JpegDecompressor() {
    cinfo.err = jpeg_std_error(&errors.manager);
    errors.manager.error_exit = on_error;
    errors.manager.emit_message = on_message;
    errors.progress.progress_monitor = on_progress;
  }
  ~JpegDecompressor() { jpeg_destroy_decompress(&cinfo); }
  JpegDecompressor(const JpegDecompressor&) = delete;
  JpegDecompressor& operator=(const JpegDecompressor&) = delete;
};

// The pixels a header declares must fit in the file (see ImageLimits::
// max_jpeg_pixels_per_file_byte); checked before libjpeg allocates its whole-image coefficient
// buffer (progressive and multi-scan files) and before the output is allocated.
void check_jpeg_pixels(const std::string& path, size_t file_bytes, int64_t rows, int64_t cols,
                       const ImageLimits& limits) {
  int64_t capacity = 0;
  if (__builtin_mul_overflow(limits.max_jpeg_pixels_per_file_byte, static_cast<int64_t>(file_bytes),
                             &capacity))
    return;
  using cnn::detail::with_thousands;
  CNN_CHECK(rows * cols <= capacity, path, ": JPEG header gives ", rows, " x ", cols, " = ",
            with_thousands(rows * cols), " pixels, more than a file of ",
            with_thousands(static_cast<int64_t>(file_bytes)), " bytes can hold at the limit of ",
            with_thousands(limits.max_jpeg_pixels_per_file_byte),
            " pixels per file byte (ImageLimits::max_jpeg_pixels_per_file_byte)");
}

[[noreturn]] void fail_jpeg(const std::string& path, size_t size, const JpegErrors& errors,
                            const char* stage) {
  if (errors.truncated)
    fail(path, ": truncated JPEG: the file ends after ", cnn::detail::with_thousands(size),
         " bytes, ", stage);
  fail(path, ": corrupt JPEG: ", errors.message, " (", stage, ")");
}

}  // namespace

namespace detail {

DecodedPixels decode_jpeg(const std::string& path, const uint8_t* bytes, size_t size,
                          const ImageLimits& limits) {
  JpegDecompressor d;
  int header_status = 0;
  if (!read_header(&d.cinfo, &d.errors, bytes, size, &header_status))
    fail_jpeg(path, size, d.errors, "inside the header");
  CNN_CHECK(header_status == JPEG_HEADER_OK, path,
            ": JPEG holds only tables (an abbreviated stream), no image");
  check_image_size(path, "JPEG", d.cinfo.image_height, d.cinfo.image_width, limits);
  check_jpeg_pixels(path, size, d.cinfo.image_height, d.cinfo.image_width, limits);

  DecodedPixels out;
  switch (d.cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
      d.cinfo.out_color_space = JCS_GRAYSCALE;
      out.channels = 1;
      break;
    case JCS_YCbCr:
    case JCS_RGB:
      d.cinfo.out_color_space = JCS_RGB;
      out.channels = 3;
      break;
    default:
      fail(path, ": JPEG colour space ", static_cast<int>(d.cinfo.jpeg_color_space),
           d.cinfo.jpeg_color_space == JCS_CMYK || d.cinfo.jpeg_color_space == JCS_YCCK
               ? " (CMYK) is not supported; convert the image to RGB"
               : " is not supported (only grayscale and RGB/YCbCr)");
  }
  out.rows = d.cinfo.image_height;
  out.cols = d.cinfo.image_width;
  out.bits = 8;
  const size_t row_bytes = static_cast<size_t>(out.cols) * out.channels;
  out.samples.resize(static_cast<size_t>(out.rows) * row_bytes);
  if (!read_scanlines(&d.cinfo, &d.errors, out.samples.data(), d.cinfo.image_height, row_bytes))
    fail_jpeg(path, size, d.errors, "inside the image data");
  return out;
}

}  // namespace detail
}  // namespace cnn::data
