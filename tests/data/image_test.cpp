// decode_image and save_png: every PNG colour type and bit depth, JPEG (baseline and
// progressive), forced channel conversion, and malformed files, each of which must give a
// cnn::Error naming the file and the problem. Test images are written here through libpng
// and libjpeg directly, so the decoder is not only tested against its own writer.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <fstream>
// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>

#include "cnn/data/image.h"
#include "support/tensor_testing.h"

namespace cnn::data {
namespace {

namespace fs = std::filesystem;
using cnn::testing::error_of;

// A JPEG of a smooth image at quality 95 decodes within a few levels of the original.
constexpr float kJpegTolerance = 4.0f / 255.0f;

// ---- writers for test images (the inputs are valid, so an error here fails the test) ----

struct RawPng {
  int rows, cols, color_type, bit_depth;
  std::vector<uint8_t> data;  // packed rows, as libpng expects them
  std::vector<png_color> palette = {};
  std::vector<uint8_t> palette_alpha = {};  // tRNS
  bool interlaced = false;
};

bool write_png_rows(png_structp png, png_infop info, std::FILE* f, const RawPng* img,
                    png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, f);
  png_set_IHDR(png, info, img->cols, img->rows, img->bit_depth, img->color_type,
               img->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!img->palette.empty())
    png_set_PLTE(png, info, img->palette.data(), static_cast<int>(img->palette.size()));
  if (!img->palette_alpha.empty())
    png_set_tRNS(png, info, img->palette_alpha.data(), static_cast<int>(img->palette_alpha.size()),
                 nullptr);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

void write_png(const std::string& path, const RawPng& img) {
  const size_t row_bytes = img.data.size() / img.rows;
  std::vector<png_bytep> rows;
  for (int r = 0; r < img.rows; ++r)
    rows.push_back(const_cast<uint8_t*>(img.data.data()) + r * row_bytes);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  const bool ok = write_png_rows(png, info, f, &img, rows.data());
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
  ASSERT_TRUE(ok) << path;
}

// samples: rows x cols x channels bytes (channels 1 or 3). libjpeg's default error handler
// exits the process, acceptable for a writer that only ever sees valid input.
void write_jpeg(const std::string& path, int rows, int cols, int channels,
                const std::vector<uint8_t>& samples, bool progressive = false,
                const std::vector<jpeg_scan_info>& scans = {}) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = static_cast<JDIMENSION>(cols);
  cinfo.image_height = static_cast<JDIMENSION>(rows);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  if (!scans.empty()) {
    cinfo.scan_info = scans.data();
    cinfo.num_scans = static_cast<int>(scans.size());
  }
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(samples.data()) + cinfo.next_scanline * cols * channels;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}

// A smooth colour image: JPEG keeps it within kJpegTolerance.
std::vector<uint8_t> gradient(int rows, int cols, int channels) {
  std::vector<uint8_t> v;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      for (int k = 0; k < channels; ++k)
        v.push_back(static_cast<uint8_t>(40 + 4 * r + 3 * c + 20 * k));
  return v;
}

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cnn_image_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
    return path(name);
  }
  static std::string read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static std::string decode_error(const std::string& p, const DecodeOptions& o = {}) {
    return error_of([&] { decode_image(p, o); });
  }

  fs::path dir_;
};

Tensor levels(const Shape& shape, int step) {
  std::vector<float> v(static_cast<size_t>(checked_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * step) % 256) / 255.0f;
  return Tensor::from_data(shape, v);
}

TEST_F(ImageTest, SavePngRoundTripsExactly) {
  for (const Shape& shape : {Shape{3, 5, 1}, Shape{4, 2, 3}, Shape{1, 7, 3}}) {
    const Tensor t = levels(shape, 37);
    save_png(path("t.png"), t);
    const Tensor back = decode_image(path("t.png"));
    EXPECT_TRUE(cnn::testing::bit_identical(back, t)) << to_string(shape);
  }
}

TEST_F(ImageTest, ForcedChannelsReplicateGrayAndTakeBt601Luma) {
  save_png(path("gray.png"), Tensor::from_data({1, 2, 1}, {0.2f, 1.0f}));
  EXPECT_EQ(decode_image(path("gray.png"), {.channels = 3}).to_vector(),
            (std::vector<float>{0.2f, 0.2f, 0.2f, 1.0f, 1.0f, 1.0f}));
  save_png(path("rgb.png"), Tensor::from_data({1, 2, 3}, {1, 0, 0, 51 / 255.f, 1, 1}));
  const Tensor gray = decode_image(path("rgb.png"), {.channels = 1});
  EXPECT_EQ(gray.shape(), (Shape{1, 2, 1}));
  EXPECT_FLOAT_EQ(gray.at({0, 0, 0}), 0.299f);
  EXPECT_FLOAT_EQ(gray.at({0, 1, 0}), 0.299f * 51 / 255.f + 0.587f + 0.114f);
  EXPECT_NE(decode_error(path("rgb.png"), {.channels = 2})
                .find("channels must be 0 (as stored), 1 or 3, got 2"),
            std::string::npos);
}

TEST_F(ImageTest, PaletteWithTransparencyBecomesRgb) {
  RawPng img{1, 3, PNG_COLOR_TYPE_PALETTE, 8, {2, 0, 1}};
  img.palette = {{255, 0, 0}, {0, 255, 0}, {10, 20, 30}};
  img.palette_alpha = {0, 128};  // alpha is dropped, not composited
  write_png(path("p.png"), img);
  const Tensor t = decode_image(path("p.png"));
  EXPECT_EQ(t.shape(), (Shape{1, 3, 3}));
  EXPECT_EQ(t.to_vector(),
            (std::vector<float>{10 / 255.f, 20 / 255.f, 30 / 255.f, 1, 0, 0, 0, 1, 0}));
}

TEST_F(ImageTest, SixteenBitKeepsFullPrecision) {
  // Big-endian samples 0x0102 and 0xfffe.
  write_png(path("g16.png"), {1, 2, PNG_COLOR_TYPE_GRAY, 16, {0x01, 0x02, 0xff, 0xfe}});
  EXPECT_EQ(decode_image(path("g16.png")).to_vector(),
            (std::vector<float>{258 / 65535.f, 65534 / 65535.f}));
  write_png(path("rgb16.png"), {1, 1, PNG_COLOR_TYPE_RGB, 16, {0, 1, 0x80, 0, 0xff, 0xff}});
  EXPECT_EQ(decode_image(path("rgb16.png")).to_vector(),
            (std::vector<float>{1 / 65535.f, 32768 / 65535.f, 1.0f}));
}

TEST_F(ImageTest, AlphaIsDroppedAndLowBitGrayExpanded) {
  write_png(path("ga.png"), {1, 2, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {51, 0, 102, 255}});
  EXPECT_EQ(decode_image(path("ga.png")).to_vector(), (std::vector<float>{0.2f, 0.4f}));
  write_png(path("rgba.png"), {1, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, {255, 0, 51, 7}});
  EXPECT_EQ(decode_image(path("rgba.png")).to_vector(), (std::vector<float>{1, 0, 0.2f}));
  save_png(path("rgba_saved.png"), Tensor::from_data({1, 1, 4}, {0, 1, 0, 0.5f}));
  EXPECT_EQ(decode_image(path("rgba_saved.png")).to_vector(), (std::vector<float>{0, 1, 0}));
  write_png(path("g1.png"), {1, 8, PNG_COLOR_TYPE_GRAY, 1, {0b10110000}});
  EXPECT_EQ(decode_image(path("g1.png")).to_vector(), (std::vector<float>{1, 0, 1, 1, 0, 0, 0, 0}));
}

TEST_F(ImageTest, InterlacedEqualsPlain) {
  RawPng img{5, 7, PNG_COLOR_TYPE_RGB, 8, gradient(5, 7, 3)};
  write_png(path("plain.png"), img);
  img.interlaced = true;
  write_png(path("adam7.png"), img);
  EXPECT_TRUE(cnn::testing::bit_identical(decode_image(path("adam7.png")),
                                          decode_image(path("plain.png"))));
}

TEST_F(ImageTest, JpegBaselineAndProgressive) {
  const std::vector<uint8_t> rgb = gradient(16, 24, 3);
  for (bool progressive : {false, true}) {
    write_jpeg(path("c.jpg"), 16, 24, 3, rgb, progressive);
    const Tensor t = decode_image(path("c.jpg"));
    ASSERT_EQ(t.shape(), (Shape{16, 24, 3}));
    const std::vector<float> v = t.to_vector();
    float worst = 0;
    for (size_t i = 0; i < v.size(); ++i) worst = std::max(worst, std::abs(v[i] - rgb[i] / 255.f));
    EXPECT_LE(worst, kJpegTolerance) << "progressive " << progressive;
  }
  write_jpeg(path("g.jpg"), 8, 8, 1, std::vector<uint8_t>(64, 200));
  const Tensor g = decode_image(path("g.jpg"));
  EXPECT_EQ(g.shape(), (Shape{8, 8, 1}));
  EXPECT_NEAR(g.at({3, 4, 0}), 200 / 255.f, kJpegTolerance);
  EXPECT_EQ(decode_image(path("g.jpg"), {.channels = 3}).shape(), (Shape{8, 8, 3}));
}

TEST_F(ImageTest, FormatComesFromMagicBytesNotTheName) {
  write_jpeg(path("really_a_jpeg.png"), 8, 8, 1, std::vector<uint8_t>(64, 100));
  EXPECT_EQ(decode_image(path("really_a_jpeg.png")).shape(), (Shape{8, 8, 1}));
  save_png(path("really_a_png.jpg"), Tensor::zeros({2, 3, 3}));
  EXPECT_EQ(decode_image(path("really_a_png.jpg")).shape(), (Shape{2, 3, 3}));
}

TEST_F(ImageTest, TruncatedPngAtEveryStage) {
  // Noise does not compress, so the image data spans several kilobytes.
  std::vector<uint8_t> noise(32 * 32 * 3);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<uint8_t>(i * 2654435761u >> 13);
  write_png(path("full.png"), {32, 32, PNG_COLOR_TYPE_RGB, 8, noise});
  const std::string full = read(path("full.png"));
  const struct {
    size_t cut;
    const char* where;
  } cases[] = {{5, "inside the signature"},
               {8, "inside the header"},
               {20, "inside the header"},
               {full.size() / 2, "inside the image data"},
               {full.size() - 12, "inside the image data"},  // IEND missing
               {full.size() - 1, "inside the image data"}};
  for (const auto& c : cases) {
    const std::string p = write("cut.png", full.substr(0, c.cut));
    const std::string msg = decode_error(p);
    EXPECT_NE(msg.find(p + ": truncated PNG: the file ends after " + std::to_string(c.cut) +
                       " bytes, " + c.where),
              std::string::npos)
        << "cut at " << c.cut << ": " << msg;
  }
}

TEST_F(ImageTest, TruncatedJpegAtEveryStage) {
  write_jpeg(path("full.jpg"), 32, 32, 3, gradient(32, 32, 3));
  const std::string full = read(path("full.jpg"));
  const size_t scan = full.find("\xff\xda");  // start of scan: the entropy-coded data follows
  ASSERT_NE(scan, std::string::npos);
  const struct {
    size_t cut;
    const char* where;
  } cases[] = {{1, "inside the signature"},
               {2, "inside the signature"},
               {3, "inside the header"},
               {30, "inside the header"},
               {scan + 1, "inside the header"},
               {(scan + full.size()) / 2, "inside the image data"},
               {full.size() - 2, "inside the image data"}};  // end-of-image marker missing
  for (const auto& c : cases) {
    const std::string p = write("cut.jpg", full.substr(0, c.cut));
    const std::string msg = decode_error(p);
    EXPECT_EQ(msg, p + ": truncated JPEG: the file ends after " + std::to_string(c.cut) +
                       " bytes, " + c.where)
        << "cut at " << c.cut;
  }
}

TEST_F(ImageTest, CorruptBytesAreReported) {
  save_png(path("ok.png"), levels({8, 8, 3}, 13));
  const std::string png = read(path("ok.png"));
  // The file ends with IDAT's zlib checksum (4 bytes), IDAT's CRC (4) and IEND (12).
  std::string bad_crc = png, bad_adler = png;
  bad_crc[png.size() - 16] ^= 0x55;
  bad_adler[png.size() - 20] ^= 0x55;
  EXPECT_EQ(decode_error(write("crc.png", bad_crc)),
            path("crc.png") + ": corrupt PNG: IDAT: CRC error (inside the image data)");
  EXPECT_EQ(
      decode_error(write("adler.png", bad_adler)),
      path("adler.png") + ": corrupt PNG: IDAT: incorrect data check (inside the image data)");

  write_jpeg(path("ok.jpg"), 16, 16, 3, gradient(16, 16, 3));
  std::string jpeg = read(path("ok.jpg"));
  // The SOF0 frame header's sample precision: libjpeg supports 8 bits only.
  const size_t sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 4] = 9;
  EXPECT_EQ(
      decode_error(write("bad.jpg", jpeg)),
      path("bad.jpg") + ": corrupt JPEG: Unsupported JPEG data precision 9 (inside the header)");
}

TEST_F(ImageTest, CorruptJpegDataIsAnErrorNotAWarning) {
  write_jpeg(path("ok.jpg"), 32, 32, 3, gradient(32, 32, 3));
  std::string jpeg = read(path("ok.jpg"));
  const size_t scan = jpeg.find("\xff\xda");
  ASSERT_NE(scan, std::string::npos);
  // A restart marker where none may be: libjpeg would warn and fill the rest with grey.
  jpeg.replace((scan + jpeg.size()) / 2, 2, "\xff\xd3");
  const std::string msg = decode_error(write("bad.jpg", jpeg));
  EXPECT_NE(msg.find(path("bad.jpg") + ": corrupt JPEG: Corrupt JPEG data"), std::string::npos)
      << msg;
}

// A valid progressive JPEG with 1,135 scans: a DC scan, then for every component and AC
// coefficient a first scan and five refinements. Files like this take libjpeg a long time
// to decode at larger sizes; the decoder refuses them after 500 scans.
TEST_F(ImageTest, TooManyProgressiveScansAreRefused) {
  std::vector<jpeg_scan_info> scans = {{3, {0, 1, 2, 0}, 0, 0, 0, 0}};
  for (int c = 0; c < 3; ++c)
    for (int k = 1; k < 64; ++k) {
      scans.push_back({1, {c, 0, 0, 0}, k, k, 0, 5});
      for (int a = 5; a >= 1; --a) scans.push_back({1, {c, 0, 0, 0}, k, k, a, a - 1});
    }
  write_jpeg(path("scans.jpg"), 8, 8, 3, gradient(8, 8, 3), false, scans);
  EXPECT_EQ(decode_error(path("scans.jpg")),
            path("scans.jpg") +
                ": corrupt JPEG: more than 500 progressive scans (hostile file?) "
                "(inside the image data)");
}

TEST_F(ImageTest, NotAnImage) {
  const std::string text = write("notes.png", "label,file\n1,a.png\n");
  EXPECT_EQ(decode_error(text), text + ": not a PNG or JPEG image (looks like text)");
  EXPECT_NE(decode_error(write("anim.png", std::string("GIF89a\x01\x00\x01\x00\x80", 11)))
                .find("not a PNG or JPEG image (looks like a GIF image)"),
            std::string::npos);
  EXPECT_NE(decode_error(write("prog.jpg", std::string("\x7f"
                                                       "ELF\x02\x01\x01\x00",
                                                       8)))
                .find("not a PNG or JPEG image (starts with bytes 7f 45 4c 46)"),
            std::string::npos);
  const std::string empty = write("empty.png", "");
  EXPECT_EQ(decode_error(empty), empty + ": empty file (0 bytes), not a PNG or JPEG image");
  EXPECT_EQ(decode_error(path("missing.png")),
            path("missing.png") + ": cannot open an image: No such file or directory");
  EXPECT_EQ(decode_error(dir_.string()),
            dir_.string() + ": is a folder, not a file (an image must be a regular file)");
}

// A PNG of just the signature and an IHDR chunk (with a valid CRC) for the given size.
std::string png_header(uint32_t cols, uint32_t rows) {
  std::string ihdr = "IHDR";
  for (uint32_t v : {cols, rows})
    for (int s = 24; s >= 0; s -= 8) ihdr += static_cast<char>(v >> s);
  ihdr += std::string("\x10\x02\x00\x00\x00", 5);  // 16-bit RGB, no interlace
  const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(ihdr.data()), ihdr.size());
  std::string out("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d", 12);
  out += ihdr;
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>(crc >> s);
  return out;
}

TEST_F(ImageTest, HugeDimensionsAreRefusedBeforeAllocating) {
  // 100,000 x 100,000 16-bit RGB would need 60 GB; the refusal comes from the header alone.
  const std::string huge = write("huge.png", png_header(100000, 100000));
  EXPECT_EQ(decode_error(huge),
            huge +
                ": PNG header gives 100000 x 100000 pixels, over the limit of 16384 per side "
                "(ImageLimits::max_side)");
  const std::string widest = write("widest.png", png_header(0x7fffffff, 1));
  EXPECT_NE(decode_error(widest).find("over the limit of 16384 per side"), std::string::npos);
  save_png(path("small.png"), Tensor::zeros({40, 40, 1}));
  EXPECT_NE(decode_error(path("small.png"), {.limits = {.max_pixels = 1000}})
                .find("PNG header gives 40 x 40 = 1,600 pixels, over the limit of 1,000"),
            std::string::npos);
  EXPECT_NE(decode_error(path("small.png"), {.limits = {.max_file_bytes = 10}})
                .find("over the limit of 10 "),
            std::string::npos);

  write_jpeg(path("ok.jpg"), 8, 8, 1, std::vector<uint8_t>(64, 0));
  std::string jpeg = read(path("ok.jpg"));
  const size_t sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  jpeg.replace(sof + 5, 4, "\xea\x60\xea\x60");  // 60000 x 60000
  const std::string big = write("big.jpg", jpeg);
  EXPECT_EQ(decode_error(big), big +
                                   ": JPEG header gives 60000 x 60000 pixels, over the limit of "
                                   "16384 per side (ImageLimits::max_side)");
}

// The ratio limits refuse a header that declares more than the file can hold; lowered, they
// refuse a real, highly compressed file, which shows where the check sits.
TEST_F(ImageTest, DeclaredSizeIsCheckedAgainstTheFileSize) {
  save_png(path("flat.png"), Tensor::zeros({40, 40, 1}));
  const auto png_size = static_cast<int64_t>(fs::file_size(path("flat.png")));
  EXPECT_EQ(decode_error(path("flat.png"), {.limits = {.max_png_bytes_per_file_byte = 2}}),
            path("flat.png") + ": PNG header gives 40 x 40 pixels of 8 bits = 1,600 bytes of " +
                "pixel data, more than a file of " + std::to_string(png_size) +
                " bytes can hold at the limit of 2 bytes per file byte " +
                "(ImageLimits::max_png_bytes_per_file_byte)");
  write_jpeg(path("flat.jpg"), 64, 64, 1, std::vector<uint8_t>(64 * 64, 100));
  const auto jpeg_size = static_cast<int64_t>(fs::file_size(path("flat.jpg")));
  EXPECT_EQ(decode_error(path("flat.jpg"), {.limits = {.max_jpeg_pixels_per_file_byte = 1}}),
            path("flat.jpg") + ": JPEG header gives 64 x 64 = 4,096 pixels, more than a file of " +
                std::to_string(jpeg_size) + " bytes can hold at the limit of 1 pixels per file " +
                "byte (ImageLimits::max_jpeg_pixels_per_file_byte)");
  EXPECT_EQ(decode_image(path("flat.jpg")).shape(), (Shape{64, 64, 1}));
  EXPECT_NE(decode_error(path("flat.jpg"), {.limits = {.max_side = 0}})
                .find("every ImageLimits field must be at least 1, got max_side 0"),
            std::string::npos);
}

// Palette images are looked up by the decoder: packed indices and interlacing included.
TEST_F(ImageTest, PackedInterlacedPaletteIsLookedUp) {
  RawPng img{3,
             5,
             PNG_COLOR_TYPE_PALETTE,
             2,
             {0b00011011, 0b00000000, 0b11100100, 0b01000000, 0b10101010, 0b10000000}};
  img.palette = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  img.interlaced = true;
  write_png(path("p2.png"), img);
  const std::vector<std::vector<float>> colours = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const std::vector<int> indices = {0, 1, 2, 3, 0, 3, 2, 1, 0, 1, 2, 2, 2, 2, 2};
  std::vector<float> expected;
  for (int i : indices) expected.insert(expected.end(), colours[i].begin(), colours[i].end());
  const Tensor t = decode_image(path("p2.png"));
  EXPECT_EQ(t.shape(), (Shape{3, 5, 3}));
  EXPECT_EQ(t.to_vector(), expected);
}

// Ancillary chunks are skipped unread: a damaged text chunk costs the image nothing.
TEST_F(ImageTest, DamagedAncillaryChunkIsSkipped) {
  save_png(path("ok.png"), levels({4, 4, 1}, 9));
  std::string png = read(path("ok.png"));
  std::string text("\0\0\0\x05tEXtk\0abc\0\0\0\0", 17);  // wrong CRC
  png.insert(33, text);                                  // after the signature and IHDR
  EXPECT_TRUE(cnn::testing::bit_identical(decode_image(write("text.png", png)),
                                          decode_image(path("ok.png"))));
}

TEST_F(ImageTest, SavePngRefusesBadInput) {
  EXPECT_NE(error_of([&] {
              save_png(path("a.png"), Tensor::zeros({2, 2}));
            }).find("image must be float32 [rows, cols, channels], got [2, 2]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              save_png(path("a.png"), Tensor::zeros({2, 2, 2}));
            }).find("channels must be 1, 3 or 4, got shape [2, 2, 2]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              save_png(path("a.png"), Tensor::full({1, 2, 1}, NAN));
            }).find("non-finite value"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              save_png(path("no/such/dir/a.png"), Tensor::zeros({1, 1, 1}));
            }).find("cannot open for writing"),
            std::string::npos);
}

}  // namespace
}  // namespace cnn::data
