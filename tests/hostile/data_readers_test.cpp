// Hostile inputs for the data readers (IDX plain and gzipped, PNG, JPEG, image folders) and
// the transforms: each is refused with a message naming the problem, and the reader's peak
// allocation stays under kHostileAllocationLimit, whatever size the file declares.
#include <sys/stat.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>
// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>

#include "cnn/data/idx.h"
#include "cnn/data/image.h"
#include "cnn/data/image_folder.h"
#include "cnn/data/transforms.h"
#include "hostile/hostile_testing.h"

namespace cnn::testing {
namespace {

using Bytes = std::vector<uint8_t>;

void put_u32(Bytes& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ---- IDX ----

Bytes idx_header(const std::vector<uint32_t>& dims) {
  Bytes h = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) put_u32(h, d);
  return h;
}

// One gzip member holding `prefix` followed by `zeros` zero bytes, deflated as a stream so
// that a large content never exists in memory.
Bytes gzip(const Bytes& prefix, uint64_t zeros = 0) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out, chunk(1 << 16);
  const Bytes block(1 << 20, 0);
  const auto pump = [&](const uint8_t* in, size_t n, int flush) {
    z.next_in = const_cast<uint8_t*>(in);
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = chunk.data();
      z.avail_out = static_cast<uInt>(chunk.size());
      deflate(&z, flush);
      out.insert(out.end(), chunk.data(), chunk.data() + (chunk.size() - z.avail_out));
    } while (z.avail_out == 0);
  };
  pump(prefix.data(), prefix.size(), Z_NO_FLUSH);
  for (uint64_t left = zeros; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size()));
    pump(block.data(), n, Z_NO_FLUSH);
    left -= n;
  }
  pump(nullptr, 0, Z_FINISH);
  deflateEnd(&z);
  return out;
}

TEST(HostileIdx, PlainHeaderDeclaringAGibibyteIsTruncated) {
  const std::string path =
      write_file("gib.idx", idx_header({1, 32768, 32768}) + Bytes(80, 7));  // 96 bytes
  expect_refused([&] { data::read_idx(path); }, "truncated: 1,073,741,840 bytes expected, 96");
}

TEST(HostileIdx, OverflowingDimensionsAreRefused) {
  const std::string path =
      write_file("overflow.idx", idx_header({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}));
  expect_refused([&] { data::read_idx(path); }, "(IdxLimits::max_elements)");
}

// A gzip member of 30-odd bytes that declares a gibibyte: refused before anything is inflated,
// since deflate cannot expand the file that far.
TEST(HostileIdx, GzipDeclaringMoreThanTheFileCanHoldIsRefusedAtOnce) {
  const std::string path = write_file("gib.idx.gz", gzip(idx_header({1, 32768, 32768})));
  expect_refused([&] { data::read_idx(path); },
                 "bytes of the file can hold at the compression-ratio limit of 1,032:1 "
                 "(IdxLimits::max_gzip_ratio)");
}

// A decompression bomb: 1 byte declared, 96 MiB of zeros behind it. Reading stops one byte
// past the declared size.
TEST(HostileIdx, GzipBombStopsAtTheDeclaredSize) {
  const std::string path = write_file("bomb.idx.gz", gzip(idx_header({1}), uint64_t{96} << 20));
  expect_refused([&] { data::read_idx(path); }, "trailing data after the 9 bytes");
}

// Bytes that deflate cannot compress.
Bytes noise(size_t n) {
  Bytes out(n);
  uint64_t x = 88172645463325252ULL;
  for (uint8_t& b : out) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
    b = static_cast<uint8_t>(x);
  }
  return out;
}

// The declared size is within what the file could hold, but the body is shorter: the buffer
// grows with the data that arrives, not with the header's claim.
TEST(HostileIdx, GzipShorterThanDeclaredAllocatesWhatArrives) {
  const Bytes file = gzip(idx_header({1, 8192, 8192}) + noise(70000));  // declares 64 MiB
  ASSERT_GE(file.size() * 1032, uint64_t{1} << 26) << "the precheck would refuse it";
  const std::string path = write_file("short.idx.gz", file);
  expect_refused([&] { data::read_idx(path); },
                 "truncated: 67,108,880 bytes expected (gzipped IDX content), 70,016 found");
}

// Zeros first, noise after: the file as a whole is within a ratio of 50, but its beginning
// is not, and inflating stops there.
TEST(HostileIdx, CompressionRatioLimitStopsAHighlyCompressedStart) {
  const Bytes content = idx_header({1030000}) + Bytes(1000000, 0) + noise(30000);
  const std::string path = write_file("zeros.idx.gz", gzip(content));
  expect_refused([&] { data::read_idx(path, {.max_gzip_ratio = 50}); },
                 "over the compression-ratio limit of 50:1 (IdxLimits::max_gzip_ratio)");
}

TEST(HostileIdx, DataAfterTheGzipMemberIsRefused) {
  const Bytes member = gzip(idx_header({2}) + Bytes{1, 2});
  expect_refused([&] { data::read_idx(write_file("two.idx.gz", member + member)); },
                 "bytes after the end of the gzip stream (a second gzip member");
  expect_refused(
      [&] {
        data::read_idx(write_file("junk.idx.gz", member + Bytes{0, 0, 0}));
      },
      "3 bytes after the end of the gzip stream");
}

TEST(HostileIdx, ZeroImagesAreRefusedWhereImagesAreExpected) {
  const std::string images = write_file("none.idx", idx_header({0, 28, 28}));
  const data::IdxArray idx = data::read_idx(images);
  expect_refused([&] { data::idx_images_to_tensor(idx, images); },
                 "holds no images (the header gives a count of 0)");
  const std::string empty = write_file("empty_images.idx", idx_header({5, 0, 28}));
  expect_refused([&] { data::idx_images_to_tensor(data::read_idx(empty), empty); },
                 "images of 0 x 28 pixels");
  const std::string labels = write_file("none_labels.idx", idx_header({0}));
  expect_refused([&] { data::idx_labels_to_tensor(data::read_idx(labels), labels); },
                 "holds no labels");
}

// ---- files that are not files ----

std::string fifo(const std::string& name) {
  const std::string path = write_file(name, Bytes{});
  std::filesystem::remove(path);
  EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
  return path;
}

TEST(HostileDataFiles, FifosDevicesAndFoldersAreRefusedWithoutBlocking) {
  const std::string pipe = fifo("pipe.idx");
  expect_refused([&] { data::read_idx(pipe); }, "is a FIFO (named pipe), not a file");
  expect_refused([&] { data::decode_image(pipe); }, "is a FIFO (named pipe), not a file");
  expect_refused([&] { data::decode_image("/dev/zero"); }, "is a character device");
  expect_refused([&] { data::read_idx("/dev/zero"); }, "is a character device");
  const std::string folder = std::filesystem::path(write_file("x", Bytes{})).parent_path();
  expect_refused([&] { data::decode_image(folder); }, "is a folder, not a file");
  expect_refused([&] { data::read_idx(folder); }, "is a folder, not a file");
}

TEST(HostileDataFiles, ImageFolderWithAFifoIsRefusedWhenListed) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(write_file("x", Bytes{})).parent_path() / "fifo_folder";
  fs::create_directories(root / "cat");
  data::save_png((root / "cat" / "a.png").string(), Tensor::zeros({2, 2, 1}));
  ASSERT_EQ(::mkfifo((root / "cat" / "x.png").c_str(), 0600), 0);
  expect_refused([&] { data::ImageFolder{root.string()}; }, "x.png: is a FIFO (named pipe)");
  fs::remove(root / "cat" / "x.png");
  fs::create_symlink(root / "missing.png", root / "cat" / "dangling.png");
  expect_refused([&] { data::ImageFolder{root.string()}; },
                 "dangling.png: cannot open an image of an image folder");
}

// ---- PNG ----

void store_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// Length, type, data and the CRC of type and data.
Bytes png_chunk(const char* type, const Bytes& data) {
  const auto n = static_cast<uint32_t>(data.size());
  Bytes out(12 + data.size());
  store_u32(out.data(), n);
  std::memcpy(out.data() + 4, type, 4);
  std::copy(data.begin(), data.end(), out.begin() + 8);
  store_u32(out.data() + 8 + n, static_cast<uint32_t>(crc32(0, out.data() + 4, 4 + n)));
  return out;
}

Bytes zlib_of(const Bytes& raw) {
  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  Bytes out(n);
  EXPECT_EQ(compress2(out.data(), &n, raw.data(), static_cast<uLong>(raw.size()), 9), Z_OK);
  out.resize(n);
  return out;
}

// A PNG: signature, IHDR, `middle` (chunks between IHDR and IEND), IEND.
Bytes png_file(uint32_t cols, uint32_t rows, uint8_t bit_depth, uint8_t color_type,
               const Bytes& middle) {
  Bytes ihdr;
  put_u32(ihdr, cols);
  put_u32(ihdr, rows);
  ihdr.insert(ihdr.end(), {bit_depth, color_type, 0, 0, 0});
  const Bytes signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return signature + png_chunk("IHDR", ihdr) + middle + png_chunk("IEND", {});
}

// 16384 x 16384 RGBA of 16 bits (2 GiB of pixels) in 70 bytes: refused from the header.
TEST(HostilePng, DeclaredSizeBeyondWhatTheFileCanHold) {
  const Bytes file = png_file(16384, 16384, 16, 6, png_chunk("IDAT", zlib_of(Bytes(16, 0))));
  const std::string path = write_file("huge.png", file);
  expect_refused([&] { data::decode_image(path); },
                 "bytes can hold at the limit of 1,032 bytes per file byte "
                 "(ImageLimits::max_png_bytes_per_file_byte)");
  const std::string wide = write_file("wide.png", png_file(100000, 1, 8, 0, {}));
  expect_refused([&] { data::decode_image(wide); }, "(ImageLimits::max_side)");
}

TEST(HostilePng, ChunkLongerThanTheLimitIsRefused) {
  Bytes text = png_chunk("tEXt", Bytes{'k', 0, 'v'});
  text[0] = 0x7f;  // declared length 2 GiB - ..., in a 60-byte file
  const std::string path = write_file("long_chunk.png", png_file(1, 1, 8, 0, text));
  expect_refused([&] { data::decode_image(path); }, "chunk data is too large");
}

// Compressed text chunks (zTXt) inflate to 8 MB each in libpng; the reader skips them unread,
// so twenty of them cost nothing and the image decodes.
TEST(HostilePng, CompressedTextChunksAreNotInflated) {
  Bytes text = {'k', 0, 0};
  const Bytes bomb = text + zlib_of(Bytes(8000000 - 16, 'a'));
  Bytes middle;
  for (int i = 0; i < 20; ++i) middle = middle + png_chunk("zTXt", bomb);
  middle = middle + png_chunk("IDAT", zlib_of(Bytes{0, 200}));
  const std::string path = write_file("ztxt.png", png_file(1, 1, 8, 0, middle));
  if (!allocation_counting_available()) GTEST_SKIP() << "the sanitizer owns malloc";
  const PeakAllocation counter;
  EXPECT_EQ(data::decode_image(path).to_vector(), (std::vector<float>{200 / 255.0f}));
  EXPECT_LT(counter.peak_bytes(), kHostileAllocationLimit);
}

TEST(HostilePng, PaletteIndexBeyondThePaletteIsAnError) {
  const Bytes palette = png_chunk("PLTE", {255, 0, 0, 0, 255, 0});     // two colours
  const Bytes eight_bit = png_chunk("IDAT", zlib_of(Bytes{0, 1, 5}));  // indices 1 and 5
  const std::string path = write_file("index8.png", png_file(2, 1, 8, 3, palette + eight_bit));
  expect_refused([&] { data::decode_image(path); },
                 "palette index 5 at row 0, column 1 is beyond the 2 colours of the palette");
  const Bytes two_bit = png_chunk("IDAT", zlib_of(Bytes{0, 0b01110000}));  // indices 1 and 3
  const std::string packed = write_file("index2.png", png_file(2, 1, 2, 3, palette + two_bit));
  expect_refused([&] { data::decode_image(packed); },
                 "palette index 3 at row 0, column 1 is beyond the 2 colours of the palette");
}

TEST(HostilePng, ImageDataBeyondTheLastRowIsAnError) {
  // The zlib stream holds two rows for a one-row image.
  const std::string more =
      write_file("more.png", png_file(2, 1, 8, 0, png_chunk("IDAT", zlib_of(Bytes(6, 0)))));
  expect_refused([&] { data::decode_image(more); }, "Too much image data");
  // Bytes after the end of the zlib stream, inside the IDAT chunk.
  const std::string extra = write_file(
      "extra.png", png_file(2, 1, 8, 0, png_chunk("IDAT", zlib_of(Bytes(3, 0)) + Bytes(9, 1))));
  expect_refused([&] { data::decode_image(extra); }, "Extra compressed data");
}

TEST(HostilePng, CrcErrorInACriticalChunkIsAnError) {
  Bytes file = png_file(1, 1, 8, 0, png_chunk("IDAT", zlib_of(Bytes{0, 9})));
  file[8 + 8 + 13] ^= 0x01;  // the IHDR's CRC
  const std::string path = write_file("crc.png", file);
  expect_refused([&] { data::decode_image(path); }, "IHDR: CRC error");
}

// ---- JPEG ----

// A JPEG of a flat gray or colour image, written by libjpeg into memory.
Bytes jpeg_file(int rows, int cols, int channels, bool progressive) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(cols);
  cinfo.image_height = static_cast<JDIMENSION>(rows);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  const Bytes row(static_cast<size_t>(cols * channels), 90);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW p = const_cast<uint8_t*>(row.data());
    jpeg_write_scanlines(&cinfo, &p, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

// Rewrites the frame header's height and width.
Bytes with_size(Bytes jpeg, uint16_t rows, uint16_t cols) {
  for (size_t i = 0; i + 9 < jpeg.size(); ++i)
    if (jpeg[i] == 0xff && (jpeg[i + 1] == 0xc0 || jpeg[i + 1] == 0xc2)) {
      jpeg[i + 5] = static_cast<uint8_t>(rows >> 8);
      jpeg[i + 6] = static_cast<uint8_t>(rows);
      jpeg[i + 7] = static_cast<uint8_t>(cols >> 8);
      jpeg[i + 8] = static_cast<uint8_t>(cols);
      return jpeg;
    }
  ADD_FAILURE() << "no frame header";
  return jpeg;
}

TEST(HostileJpeg, SidesOverTheLimitAreRefusedFromTheHeader) {
  const std::string path =
      write_file("side.jpg", with_size(jpeg_file(8, 8, 1, false), 65000, 65000));
  expect_refused([&] { data::decode_image(path); }, "(ImageLimits::max_side)");
}

// 16384 x 16384 is within max_side and max_pixels, but a file of a few hundred bytes cannot
// hold it: a progressive one would make libjpeg allocate 1.5 GiB of coefficients, a baseline
// one 768 MiB of samples.
TEST(HostileJpeg, DeclaredSizeBeyondWhatTheFileCanHold) {
  for (bool progressive : {true, false}) {
    const Bytes file = with_size(jpeg_file(8, 8, 3, progressive), 16384, 16384);
    const std::string path = write_file("big.jpg", file);
    expect_refused([&] { data::decode_image(path); },
                   "pixels per file byte (ImageLimits::max_jpeg_pixels_per_file_byte)");
  }
}

TEST(HostileJpeg, ExtraneousBytesBeforeAMarkerAreAnError) {
  Bytes file = jpeg_file(16, 16, 1, false);
  ASSERT_TRUE(file[2] == 0xff && file[3] == 0xe0);  // SOI, then the APP0 (JFIF) segment
  const size_t next = 4 + (size_t{file[4]} << 8 | file[5]);
  file.insert(file.begin() + static_cast<ptrdiff_t>(next), {0x12, 0x34});
  const std::string path = write_file("extraneous.jpg", file);
  expect_refused([&] { data::decode_image(path); }, "Corrupt JPEG data: 2 extraneous bytes");
}

// ---- transforms and folder options: sizes refused when they are set ----

TEST(HostileTransforms, SizesAndPaddingOutOfRangeAreRefusedAtConstruction) {
  expect_refused([] { data::Resize(Size2(1 << 20, 1 << 20)); }, "(kMaxTransformSide)");
  expect_refused([] { data::RandomCrop(Size2(16384, 16384 + 1)); }, "(kMaxTransformSide)");
  expect_refused([] { data::RandomCrop(Size2(32), Pad2d(40)); },
                 "padding 40 on the top is not below the crop's 32 rows");
  expect_refused([] { data::RandomCrop(Size2(32, 8), Pad2d(0, 0, 0, INT64_MAX)); },
                 "on the right is not below the crop's 8 columns");
  const std::string root = std::filesystem::path(write_file("x", Bytes{})).parent_path().string();
  expect_refused([&] { data::ImageFolder(root, {.size = Size2(1 << 20, 1)}); },
                 "(ImageLimits::max_side)");
}

}  // namespace
}  // namespace cnn::testing
