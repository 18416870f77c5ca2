// The weights, model and checkpoint readers on small hostile files (about 100 bytes, a few
// hundred for a zip archive): each is refused with a message that names the problem, and the
// reader's peak allocation stays under kHostileAllocationLimit whatever the file declares.
// safetensors, .pth (zip container and pickle), checkpoints, ONNX models and TensorProto files.
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/io/pth.h"
#include "cnn/io/safetensors.h"
#include "cnn/io/weights.h"
#include "cnn/onnx/onnx.h"
#include "cnn/train/checkpoint.h"
#include "hostile/hostile_testing.h"
#include "io/pth_unpickle.h"
#include "io/pth_zip.h"
#include "support/pth_bytes.h"

namespace cnn::testing {
namespace {

using namespace std::string_literals;  // binary strings hold NUL bytes
using namespace pth_bytes;

std::string le64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

// ---- safetensors ----

// An 8-byte length, the header, then the data.
std::string safetensors(const std::string& header, const std::string& data = "") {
  return le64(header.size()) + header + data;
}

TEST(HostileSafetensors, HeaderLengthsBeyondTheFile) {
  // 2^63, then 99,999,999 (under the 100,000,000 limit) in a file of 50 bytes
  const std::string over = write_file("over.safetensors", le64(uint64_t{1} << 63) + "{}");
  expect_refused([&] { io::load_safetensors(over); }, "exceeds the limit of 100000000 bytes");
  const std::string past =
      write_file("past.safetensors", le64(99'999'999) + R"({"a":{"dtype":"F32"}})" + "         ");
  expect_refused([&] { io::load_safetensors(past); }, "header length 99999999 reaches past");
}

TEST(HostileSafetensors, ShapesThatClaimMoreThanTheData) {
  const std::string huge = write_file(
      "huge.safetensors",
      safetensors(R"({"a":{"dtype":"F32","shape":[1048576,1048576],"data_offsets":[0,8]}})",
                  std::string(8, '\0')));
  expect_refused([&] { io::load_safetensors(huge); },
                 "needs 4398046511104 bytes but data_offsets span 8");
  const std::string overflow = write_file(
      "overflow.safetensors",
      safetensors(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                  std::string(8, '\0')));
  expect_refused([&] { io::load_safetensors(overflow); }, "overflows a 64-bit element count");
  const std::string bytes = write_file(
      "bytes.safetensors",
      safetensors(R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}})",
                  std::string(8, '\0')));
  expect_refused([&] { io::load_safetensors(bytes); }, "needs over 2^64 bytes");
  const std::string offsets = write_file(
      "offsets.safetensors",
      safetensors(R"({"a":{"dtype":"F32","shape":[268435456],"data_offsets":[0,1073741824]}})"));
  expect_refused([&] { io::load_safetensors(offsets); }, "fall outside the 0-byte data section");
}

TEST(HostileSafetensors, MalformedHeaders) {
  const auto refused = [](const std::string& name, const std::string& bytes,
                          const std::string& fragment) {
    const std::string path = write_file(name, bytes);
    expect_refused([&] { io::load_safetensors(path); }, fragment);
  };
  const std::string a = R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  refused("dup.safetensors", safetensors("{" + a + "," + a + "}", "abcd"), "names 'a' twice");
  refused("gap.safetensors",
          safetensors(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", "abcdefgh"),
          "4 unused bytes before tensor 'a'");
  refused("tail.safetensors", safetensors("{" + a + "}", "abcdefgh"),
          "4 bytes follow the last tensor's data");
  refused("bom.safetensors", safetensors("\xEF\xBB\xBF{" + a + "}", "abcd"), "byte-order mark");
  refused("nul.safetensors", safetensors("{" + a + "}\0\0\0"s, "abcd"), "NUL byte");
  refused("deep.safetensors", safetensors(R"({"a":)" + std::string(40, '[') + "]}"),
          "its description must be an object");
  refused("array.safetensors", safetensors("[" + std::string(60, '[') + "]"),
          "does not start with '{'");
  refused("meta.safetensors", safetensors(R"({"__metadata__":{"k":["v"]}})"),
          "__metadata__ must map strings to strings");
}

TEST(HostileSafetensors, WhatIsNotAFile) {
  const std::string fifo = write_file("placeholder", "") + ".fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_refused([&] { io::load_safetensors(fifo); }, "is a FIFO (named pipe), not a file");
  expect_refused([&] { io::load_pytorch_state_dict(fifo); }, "is a FIFO (named pipe), not a file");
  expect_refused([] { io::load_safetensors("/tmp"); }, "is a folder, not a file");
  expect_refused([] { io::load_safetensors("/dev/zero"); }, "is a character device");
}

// ---- .pth: the zip container ----

// The end-of-central-directory record alone: `count` entries, a central directory of `size`
// bytes at `offset`.
std::string end_record(uint16_t count, uint32_t size, uint32_t offset) {
  std::string out = "PK\5\6"s + std::string(4, '\0');
  for (const uint64_t v : {uint64_t{count}, uint64_t{count}})
    out += std::string{static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
  for (const uint64_t v : {uint64_t{size}, uint64_t{offset}}) out += le64(v).substr(0, 4);
  return out + std::string(2, '\0');
}

TEST(HostilePth, CentralDirectoryClaims) {
  const std::string many =
      write_file("many.pth", "PK\3\4"s + std::string(60, 'x') + end_record(65534, 46 * 65534, 0));
  expect_refused([&] { io::load_pth(many); }, "is past the end of the archive");
  const std::string big =
      write_file("big.pth", "PK\3\4"s + std::string(60, 'x') + end_record(1, 0xfffffff0u, 4));
  expect_refused([&] { io::load_pth(big); }, "central directory at offset");
  // zip64: the classic record saturated, the zip64 record claiming 2^40 entries
  std::string z64 = archive("\x80\x02}."s);
  const size_t end64 = get_le(z64, z64.size() - 22 - 20 + 8, 8);
  set_le(z64, end64 + 32, uint64_t{1} << 40, 8);
  set_le(z64, z64.size() - 22 + 16, 0xffffffff, 4);
  const std::string count = write_file("count.pth", z64);
  expect_refused([&] { io::load_pth(count); }, "1099511627776 entries exceed the limit");
}

TEST(HostilePth, EntrySizeClaims) {
  std::string bytes = archive("\x80\x02}."s, "abcd");
  const size_t cd = get_le(bytes, bytes.size() - 22 + 16, 4);
  const size_t name = bytes.find("archive/data/0", cd);
  ASSERT_NE(name, std::string::npos);
  std::string stored = bytes;
  set_le(stored, name - 46 + 20, 0x7fffffff, 4);
  set_le(stored, name - 46 + 24, 0x7fffffff, 4);
  const std::string past = write_file("past.pth", stored);
  expect_refused([&] { io::load_pth(past); }, "is past the end of the data");
  // deflate (method 8) claiming 2 GiB from 4 compressed bytes
  std::string deflated = bytes;
  set_le(deflated, name - 46 + 10, 8, 2);
  set_le(deflated, name - 46 + 24, 0x7fffffff, 4);
  const std::string bomb = write_file("bomb.pth", deflated);
  expect_refused([&] { io::load_pth(bomb); }, "more than deflate can produce");
}

// ---- .pth: the pickle ----

TEST(HostilePth, StorageAndViewClaims) {
  const std::string storage =
      write_file("storage.pth", archive(tensor_pickle(int64_t{1} << 60, {2}, {1}), "abcd"));
  expect_refused([&] { io::load_pth(storage); },
                 "claims 1152921504606846976 elements of float32 but entry 'archive/data/0' "
                 "holds 4 bytes");
  // one stored element viewed with stride 0 as [100000, 100000]: 40 GB if copied
  const std::string expanded =
      write_file("expanded.pth", archive(tensor_pickle(1, {100000, 100000}, {0, 0}), "abcd"));
  expect_refused([&] { io::load_pth(expanded); }, "(kMaxExpansionRatio, kMaxExpandedBytes)");
  const std::string reach =
      write_file("reach.pth", archive(tensor_pickle(1, {1 << 30}, {1}), "abcd"));
  expect_refused([&] { io::load_pth(reach); },
                 "reaches element 1073741823 but its storage holds 1");
}

TEST(HostilePth, PickleLengthsAndCounts) {
  const std::string string = write_file("string.pth", archive("\x80\x02X\xff\xff\xff\x7f"s));
  expect_refused([&] { io::load_pth(string); }, "exceeds the limit of 1048576 (kMaxStringBytes)");
  const std::string shorter = write_file("short.pth", archive("\x80\x02X\xff\xff\x0f\x00"
                                                              "ab"s));
  expect_refused([&] { io::load_pth(shorter); }, "truncated pickle");
  const std::string marks = write_file("marks.pth", archive("\x80\x02" + std::string(80, '(')));
  expect_refused([&] { io::load_pth(marks); }, "truncated pickle");
  const std::string deep = write_file("deep.pth", archive("\x80\x02N" + std::string(60, '\x85')));
  expect_refused([&] { io::load_pth(deep); }, "nest deeper than 32 levels (kMaxDepth)");
}

TEST(HostilePth, LegacyAndOtherPickles) {
  // torch.save(..., _use_new_zipfile_serialization=False) begins with the pickled magic number
  const std::string legacy = write_file(
      "legacy.pth",
      "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.\x80\x02"s + std::string(80, 'x'));
  expect_refused([&] { io::load_pytorch_state_dict(legacy); }, "re-save it in the zip format");
  const std::string bare = write_file("bare.pth", "\x80\x04}." + std::string(90, ' '));
  expect_refused([&] { io::load_pth(bare); }, "a bare Python pickle");
}

// ---- checkpoints ----

TEST(HostileCheckpoint, InheritsTheSafetensorsChecks) {
  const std::string path = write_file(
      "huge.ckpt", safetensors(R"({"__metadata__":{"format":"cnn-checkpoint"},)"
                               R"("a":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,4]}})",
                               "abcd"));
  expect_refused([&] { train::load_checkpoint(path); }, "but data_offsets span 4");
  const std::string plain =
      write_file("plain.ckpt", safetensors(R"({"__metadata__":{"format":"other"}})"));
  expect_refused([&] { train::load_checkpoint(plain); }, "not a cnn checkpoint (format 'other'");
}

TEST(HostileCheckpoint, StateOutOfRange) {
  // A checkpoint whose checksum is right but whose state asks for a 2^32-element input and an
  // absurd epoch count: refused before anything is built from it.
  const std::string path = write_file("state.ckpt", "");
  train::save_checkpoint(path, {{},
                                R"({"config":{},"classes":["a"],"input_shape":[65536,65536,4],)"
                                R"("epoch":0})"});
  expect_refused([&] { train::load_checkpoint(path); },
                 "rows 65536 of image shape [65536, 65536, 4] are outside [1, 16384]");
  train::save_checkpoint(path, {{}, "[1]"});
  expect_refused([&] { train::load_checkpoint(path); }, "state is not a JSON object");
}

// ---- ONNX ----

// Protobuf's wire format: a varint key (field << 3 | type), then a varint or a length-prefixed
// payload.
std::string varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7f) | 0x80);
  return out + static_cast<char>(v);
}
std::string field(int number, uint64_t value) {
  return varint(static_cast<uint64_t>(number) << 3) + varint(value);
}
std::string field(int number, const std::string& payload) {
  return varint((static_cast<uint64_t>(number) << 3) | 2) + varint(payload.size()) + payload;
}

// ValueInfoProto "name": a float tensor of shape [1].
std::string value_info(const std::string& name) {
  const std::string dim = field(1, field(1, uint64_t{1}));           // Dimension.dim_value
  const std::string tensor = field(1, uint64_t{1}) + field(2, dim);  // elem_type FLOAT, shape
  return field(1, name) + field(2, field(1, tensor));                // name, TypeProto
}

// ModelProto (IR 7, opset 13): y = x + w, `initializer` (a TensorProto's fields) being "w".
std::string model(const std::string& initializer) {
  const std::string node =
      field(1, "x") + field(1, "w") + field(2, "y") + field(3, "add") + field(4, "Add");
  const std::string graph = field(1, node) + field(2, "g") + field(5, initializer) +
                            field(11, value_info("x")) + field(12, value_info("y"));
  return field(1, uint64_t{7}) + field(7, graph) + field(8, field(2, uint64_t{13}));
}

// TensorProto "w" of float (data_type 1) with the given dims, then `data` (more fields).
std::string tensor(const std::vector<uint64_t>& dims, const std::string& data) {
  std::string out;
  for (uint64_t d : dims) out += field(1, d);
  return out + field(2, uint64_t{1}) + field(8, "w") + data;
}

void expect_onnx_refused(const std::string& path, const std::string& fragment) {
  expect_refused([&] { onnx::load(path, {.check = false}); }, fragment);
  expect_refused([&] { onnx::load(path, {.check = true}); }, path);
}

TEST(HostileOnnx, TheSmallModelLoads) {
  const std::string path = write_file("ok.onnx", model(tensor({1}, field(9, "abcd"))));
  EXPECT_EQ(onnx::load(path)->parameters().size(), 1u);
}

TEST(HostileOnnx, InitializerDimsBeyondTheData) {
  const std::string raw =
      write_file("raw.onnx", model(tensor({1 << 20, 1 << 20}, field(9, "abcdefgh"))));
  expect_onnx_refused(raw, "raw data holds 8 bytes, but shape [1048576, 1048576] of float needs");
  const std::string values =
      write_file("values.onnx", model(tensor({1 << 20, 1 << 20}, field(4, le64(0)))));
  expect_onnx_refused(values, "holds 2 values, but shape [1048576, 1048576] needs");
  const std::string none = write_file("none.onnx", model(tensor({uint64_t{1} << 40}, "")));
  expect_onnx_refused(none, "holds 0 values, but shape [1099511627776] needs");
}

TEST(HostileOnnx, ExternalDataBeyondItsFile) {
  const std::string bin = write_file("w.bin", "abcd");
  const std::string location = bin.substr(bin.rfind('/') + 1);
  const std::string entry = field(1, "location") + field(2, location);
  const std::string path =
      write_file("external.onnx", model(tensor({1 << 30}, field(13, entry) + field(14, 1))));
  expect_onnx_refused(path, "lies past the end of 'w.bin' (4 bytes)");
}

TEST(HostileOnnx, LengthPrefixesBeyondTheFile) {
  // the graph field claiming 2^31 - 1 bytes, then 2^62
  std::string bytes = field(1, uint64_t{7}) + varint((7 << 3) | 2) + varint(0x7fffffff);
  const std::string path = write_file("prefix.onnx", bytes + std::string(90, 'g'));
  expect_onnx_refused(path, "not a valid ONNX model");
  bytes = field(1, uint64_t{7}) + varint((7 << 3) | 2) + varint(uint64_t{1} << 62);
  const std::string huge = write_file("prefix2.onnx", bytes + std::string(90, 'g'));
  expect_onnx_refused(huge, "not a valid ONNX model");
}

TEST(HostileOnnx, TensorFileDimsBeyondTheData) {
  const std::string path =
      write_file("tensor.pb", tensor({1 << 20, 1 << 20}, field(9, "abcdefgh")));
  expect_refused([&] { onnx::read_tensor_file(path); }, "raw data holds 8 bytes");
  const std::string fifo = path + ".fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_refused([&] { onnx::read_tensor_file(fifo); }, "is a FIFO (named pipe), not a file");
  expect_refused([&] { onnx::load(fifo); }, "is a FIFO (named pipe), not a file");
}

}  // namespace
}  // namespace cnn::testing
