// safetensors round trip, and hostile files: each gives a cnn::Error naming the problem.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "cnn/error.h"
#include "cnn/io/safetensors.h"
#include "support/tensor_testing.h"

namespace cnn::io {
namespace {

namespace fs = std::filesystem;

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cnn_st_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A file with the given JSON header and `data_bytes` zero bytes of data.
  std::string file(const std::string& header, size_t data_bytes, const std::string& name) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
      bytes[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    bytes += header + std::string(data_bytes, '\0');
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  std::string error_of(const std::string& path) {
    try {
      load_safetensors(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }

  void expect(const std::string& path, const std::string& needle) {
    const std::string msg = error_of(path);
    EXPECT_NE(msg.find(needle), std::string::npos) << "expected '" << needle << "', got: " << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << "the message should name the file: " << msg;
  }

  fs::path dir_;
};

TEST_F(SafetensorsTest, RoundTrip) {
  const std::string path = (dir_ / "w.safetensors").string();
  nn::StateDict in{{"conv.weight", testing::randn({3, 3, 2, 4}, 1)},
                   {"bn.num_batches_tracked", Tensor::from_data_i64({}, {7})},
                   {"empty", Tensor::zeros({0, 3})}};
  save_safetensors(path, in, {{"format", "cnn"}});
  Metadata meta;
  nn::StateDict out = load_safetensors(path, &meta);
  EXPECT_EQ(meta["format"], "cnn");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(testing::bit_identical(out.at("conv.weight"), in.at("conv.weight")));
  EXPECT_EQ(out.at("bn.num_batches_tracked").to_vector_i64(), (std::vector<int64_t>{7}));
  EXPECT_EQ(out.at("empty").shape(), (Shape{0, 3}));
  int files = 0;  // no temporary file is left behind
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(SafetensorsTest, HostileFiles) {
  {
    const std::string path = (dir_ / "tiny").string();
    std::ofstream(path) << "abc";
    expect(path, "shorter than the 8-byte header length");
  }
  {
    const std::string path = (dir_ / "len").string();
    std::ofstream(path, std::ios::binary) << std::string(8, '\xff') << "{}";
    expect(path, "exceeds the limit");
  }
  {
    const std::string path = (dir_ / "past").string();
    std::ofstream(path, std::ios::binary) << std::string({100, 0, 0, 0, 0, 0, 0, 0}) << "{}";
    expect(path, "reaches past the end of the file");
  }
  expect(file("{not json", 0, "json"), "header is not valid JSON");
  expect(file("[1,2]", 0, "arr"), "not a JSON object");
  expect(file(std::string(100, '[') + std::string(100, ']'), 0, "deep"), "does not start with '{'");
  expect(file(R"({"a":)" + std::string(100, '[') + std::string(100, ']') + "}", 0, "deeper"),
         "tensor 'a': its description must be an object, got an array");
  expect(file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", 8, "off"),
         "fall outside the 8-byte data section");
  expect(file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8, "size"),
         "needs 12 bytes but data_offsets span 8");
  expect(file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8,
              "ovf"),
         "overflows");
  expect(file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8, "neg"),
         "shape must be an array of non-negative integers; it holds the number -2");
  expect(file(R"({"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}})", 8, "dtype"),
         "dtype 'BF16' is not supported (F32 and I64 are)");
  expect(file(R"({"a":{"dtype":"Q7","shape":[4],"data_offsets":[0,8]}})", 8, "unknown"),
         "unknown dtype 'Q7'");
  expect(file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
              12, "overlap"),
         "overlap");
  expect(file(R"({"a":{"dtype":"F32","shape":[2]}})", 8, "missing"),
         "needs dtype, shape and data_offsets");
  expect(file(R"({"__metadata__":{"k":1}})", 0, "meta"),
         "__metadata__ must map strings to strings; 'k' holds the number 1");
  expect((dir_ / "nonexistent").string(), "cannot open");
}

// What the reference implementation (huggingface/safetensors) refuses beyond the checks above:
// headers that are not exactly a JSON object, keys given twice, and data sections that the
// tensors do not cover exactly.
TEST_F(SafetensorsTest, StrictAsTheReferenceImplementation) {
  const std::string a = R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  const std::string b = R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]})";
  EXPECT_EQ(load_safetensors(file("{" + a + "," + b + "}   ", 8, "ok")).size(), 2u);
  expect(file("{" + a + "," + a + "}", 4, "dup"), "the header names 'a' twice");
  expect(file(R"({"__metadata__":{"k":"1","k":"2"}})", 0, "dupmeta"),
         "__metadata__ names 'k' twice");
  expect(file(R"({"__metadata__":{},"__metadata__":{}})", 0, "dupmeta2"),
         "names '__metadata__' twice");
  expect(file(R"({"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4,
              "dupfield"),
         "tensor 'a': 'dtype' appears twice");
  expect(file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", 4, "field"),
         "unknown field 'x'");
  // gaps: before the first tensor, between two, and after the last
  expect(file(R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8, "gap0"),
         "4 unused bytes before tensor 'b'");
  expect(
      file("{" + a + "," + R"("b":{"dtype":"F32","shape":[1],"data_offsets":[6,10]}})", 10, "gap"),
      "2 unused bytes before tensor 'b' (its data begin at byte 6 of the data section, 'a' "
      "ends at 4)");
  expect(file("{" + a + "," + b + "}", 9, "after"), "1 bytes follow the last tensor's data");
  expect(file("{}", 3, "noneafter"), "3 bytes follow the last tensor's data");
  // not exactly a JSON object: byte-order mark, NUL padding, leading space, trailing text
  expect(file("\xEF\xBB\xBF{" + a + "}", 4, "bom"), "UTF-8 byte-order mark");
  expect(file("{" + a + std::string("}\0\0\0", 4), 4, "nul"), "NUL byte at header byte");
  expect(file(" {" + a + "}", 4, "space"), "does not start with '{'");
  expect(file("{" + a + "} x", 4, "trailing"), "the header is not valid JSON");
  expect(file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})", 4, "open"),
         "the header is not valid JSON");
  expect(file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})", 4, "three"),
         "data_offsets holds more than two numbers");
  expect(file(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4, "float"),
         "it holds the number 1.5");
  expect(
      file(R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})", 4, "rank"),
      "more than 8 extents");
  expect(file(R"({"__metadata__":[]})", 0, "metaarray"),
         "__metadata__ must map strings to strings");
  EXPECT_TRUE(load_safetensors(file(R"({"__metadata__":null})", 0, "metanull")).empty());
  expect(file("{\"a\xff\":1}", 0, "utf8"), "the header is not valid JSON");
}

TEST_F(SafetensorsTest, RefusesWhatIsNotAFile) {
  expect(dir_.string(), "is a folder, not a file");
  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect(fifo, "is a FIFO");  // at once: the open does not wait for a writer
  EXPECT_NE(error_of("/dev/zero").find("is a character device"), std::string::npos);
}

}  // namespace
}  // namespace cnn::io
