// The IDX reader against valid and malformed files: each bad file gives a cnn::Error naming
// the file and the problem, never a crash or a huge allocation.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "cnn/data/idx.h"
#include "cnn/error.h"

namespace cnn::data {
namespace {

namespace fs = std::filesystem;

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cnn_idx_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes, bool gzip = false) {
    const std::string path = (dir_ / name).string();
    if (gzip) {
      gzFile f = gzopen(path.c_str(), "wb");
      gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
      gzclose(f);
    } else {
      std::ofstream(path, std::ios::binary) << bytes;
    }
    return path;
  }

  static std::string header(uint8_t type, std::vector<uint32_t> dims) {
    std::string h = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
    for (uint32_t d : dims)
      for (int s = 24; s >= 0; s -= 8) h += static_cast<char>((d >> s) & 0xff);
    return h;
  }

  static std::string images(uint32_t n, uint32_t rows, uint32_t cols) {
    std::string s = header(0x08, {n, rows, cols});
    for (uint32_t i = 0; i < n * rows * cols; ++i) s += static_cast<char>(i % 256);
    return s;
  }

  std::string error_of(const std::string& path) {
    try {
      read_idx(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }

  std::string error_of_limits(const std::string& path, const IdxLimits& limits) {
    return error_of_call([&] { read_idx(path, limits); });
  }

  template <class F>
  static std::string error_of_call(F&& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path dir_;
};

TEST_F(IdxTest, ReadsPlainAndGzipped) {
  for (bool gz : {false, true}) {
    const IdxArray a = read_idx(write(gz ? "a.gz" : "a", images(3, 2, 5), gz));
    EXPECT_EQ(a.shape, (Shape{3, 2, 5}));
    ASSERT_EQ(a.values.size(), 30u);
    EXPECT_EQ(a.values[29], 29);
    const Tensor t = idx_images_to_tensor(a, "a");
    EXPECT_EQ(t.shape(), (Shape{3, 2, 5, 1}));
    EXPECT_FLOAT_EQ(t.at({2, 1, 4, 0}), 29.0f / 255.0f);
  }
}

TEST_F(IdxTest, TruncatedNamesBothSizes) {
  std::string body = images(60000, 28, 28).substr(0, 1000);
  const std::string msg = error_of(write("t", body));
  EXPECT_NE(msg.find("truncated: 47,040,016 bytes expected, 1,000 found"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find(dir_.string()), std::string::npos) << msg;
  const std::string gz = error_of(write("t.gz", body, true));
  EXPECT_NE(gz.find("truncated: 47,040,016 bytes expected"), std::string::npos) << gz;
}

TEST_F(IdxTest, RecognisesTextAndGarbage) {
  EXPECT_NE(
      error_of(write("text", "hello, this is a csv file\n1,2,3\n")).find("this is text, not IDX"),
      std::string::npos);
  EXPECT_NE(error_of(write("bin", std::string("\x7f"
                                              "ELF\x02\x01",
                                              6)))
                .find("not an IDX file"),
            std::string::npos);
  EXPECT_NE(error_of(write("empty", "")).find("too short for an IDX header"), std::string::npos);
}

TEST_F(IdxTest, CorruptGzip) {
  std::string gz;
  {
    const std::string path = write("ok.gz", images(10, 28, 28), true);
    std::ifstream in(path, std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Cut the compressed stream in half: the decompressor runs dry before the data ends.
  const std::string half = error_of(write("half.gz", gz.substr(0, gz.size() / 2)));
  EXPECT_TRUE(half.find("truncated") != std::string::npos || half.find("gzip") != std::string::npos)
      << half;
  // Flip bytes in the middle of the deflate stream.
  std::string bad = gz;
  for (size_t i = 20; i < 40 && i < bad.size(); ++i) bad[i] = static_cast<char>(~bad[i]);
  const std::string flipped = error_of(write("bad.gz", bad));
  EXPECT_NE(flipped, "no error");
}

TEST_F(IdxTest, RefusesHugeOrOverflowingDimensionsWithoutAllocating) {
  const std::string huge =
      error_of(write("huge", header(0x08, {0xffffffff, 0xffffffff, 0xffffffff})));
  EXPECT_NE(huge.find("exceed the limit"), std::string::npos) << huge;
  const std::string big = error_of(write("big", header(0x08, {60000, 280, 280})));
  EXPECT_NE(big.find("exceed the limit"), std::string::npos) << big;
}

TEST_F(IdxTest, RefusesWrongTypeRankAndTrailingData) {
  EXPECT_NE(
      error_of(write("float", header(0x0D, {2}) + std::string(8, 0))).find("element type 0xd"),
      std::string::npos);
  EXPECT_NE(error_of(write("rank0", header(0x08, {}))).find("rank 0"), std::string::npos);
  EXPECT_NE(error_of(write("trail", images(2, 2, 2) + "xyz")).find("trailing data"),
            std::string::npos);
  EXPECT_NE(error_of(write("trail.gz", images(2, 2, 2) + "xyz", true)).find("trailing data"),
            std::string::npos);
  EXPECT_NE(error_of((dir_ / "missing").string()).find("cannot open"), std::string::npos);
}

TEST_F(IdxTest, LimitsAreNamedAndChecked) {
  const std::string path = write("a", images(3, 2, 5));
  try {
    read_idx(path, {.max_elements = 10});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": dimensions [3, 2, 5]... of the header exceed the " +
                                         "limit of 10 elements (IdxLimits::max_elements)");
  }
  EXPECT_NE(error_of_limits(path, {.max_gzip_ratio = 0}).find("max_gzip_ratio >= 1, got"),
            std::string::npos);
  // A file of zeros inflates about 1000:1; a ratio limit of 100 refuses it.
  const std::string zeros =
      write("z.gz", header(0x08, {1, 100, 100}) + std::string(10000, 0), true);
  EXPECT_EQ(read_idx(zeros).values.size(), 10000u);
  EXPECT_NE(
      error_of_limits(zeros, {.max_gzip_ratio = 100}).find("compression-ratio limit of 100:1"),
      std::string::npos);
}

TEST_F(IdxTest, GzipIsOneMemberAsGzipWritesIt) {
  const std::string one = write("one.gz", images(2, 2, 2), true);
  std::string bytes;
  {
    std::ifstream in(one, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(read_idx(one).values.size(), 8u);
  // zlib's gzread would read both members (or skip the zeros) and return 8 values.
  EXPECT_NE(error_of(write("two.gz", bytes + bytes)).find("bytes after the end of the gzip stream"),
            std::string::npos);
  EXPECT_NE(error_of(write("pad.gz", bytes + std::string(4, 0)))
                .find("4 bytes after the end of the gzip stream"),
            std::string::npos);
}

TEST_F(IdxTest, EmptyImageAndLabelFilesAreErrorsWhereDataIsExpected) {
  const IdxArray none = read_idx(write("none", header(0x08, {0, 28, 28})));
  EXPECT_EQ(none.shape, (Shape{0, 28, 28}));
  EXPECT_EQ(error_of_call([&] { idx_images_to_tensor(none, "none"); }),
            "none: holds no images (the header gives a count of 0)");
  const IdxArray flat = read_idx(write("flat", header(0x08, {3, 28, 0})));
  EXPECT_EQ(error_of_call([&] { idx_images_to_tensor(flat, "flat"); }),
            "flat: images of 28 x 0 pixels (the header gives an empty image size)");
  const IdxArray no_labels = read_idx(write("no_labels", header(0x08, {0})));
  EXPECT_EQ(error_of_call([&] { idx_labels_to_tensor(no_labels, "no_labels"); }),
            "no_labels: holds no labels (the header gives a count of 0)");
  write("train-images-idx3-ubyte", header(0x08, {0, 2, 2}));
  write("train-labels-idx1-ubyte", header(0x08, {0}));
  EXPECT_NE(error_of_call([&] {
              load_mnist_folder(dir_.string(), {"a", "b"});
            }).find("holds no images"),
            std::string::npos);
}

TEST_F(IdxTest, FolderChecksCountsAndLabels) {
  const auto labels = [](std::vector<uint8_t> v) {
    std::string s = header(0x08, {static_cast<uint32_t>(v.size())});
    for (uint8_t x : v) s += static_cast<char>(x);
    return s;
  };
  write("train-images-idx3-ubyte", images(3, 2, 2));
  write("train-labels-idx1-ubyte.gz", labels({0, 1, 2}), true);
  write("t10k-images-idx3-ubyte", images(2, 2, 2));
  write("t10k-labels-idx1-ubyte", labels({1, 0}));
  const auto data = load_mnist_folder(dir_.string(), {"a", "b", "c"});
  EXPECT_EQ(data.train.images.shape(), (Shape{3, 2, 2, 1}));
  EXPECT_EQ(data.train.labels.to_vector_i64(), (std::vector<int64_t>{0, 1, 2}));
  write("t10k-labels-idx1-ubyte", labels({1, 0, 1}));
  try {
    load_mnist_folder(dir_.string(), {"a", "b", "c"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 labels for 2 images"), std::string::npos) << e.what();
  }
  write("t10k-labels-idx1-ubyte", labels({1, 7}));
  try {
    load_mnist_folder(dir_.string(), {"a", "b", "c"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("label 7 at index 1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cnn::data
