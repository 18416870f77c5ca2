// The .pth reader against our own writer and against hostile inputs built byte by byte: every
// malformed archive or pickle must give a cnn::Error that says what was wrong, never a crash,
// an allocation of the claimed size, or an executed call.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cnn/io/pth.h"
#include "cnn/io/weights.h"
#include "io/pth_unpickle.h"
#include "io/pth_zip.h"
#include "support/process.h"
#include "support/pth_bytes.h"
#include "support/tensor_testing.h"

namespace cnn::io {
namespace {

using testing::error_of;
using namespace testing::pth_bytes;
using namespace std::string_literals;  // pickles hold NUL bytes

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          detail::concat("cnn_pth_test_", ::getpid(), "_", name))
      .string();
}

std::string write_temp(const std::string& name, const std::string& bytes) {
  const std::string path = temp_path(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// ---- pickle bytes by hand (tests/support/pth_bytes.h) ----
// Runs the unpickler with storages of the claimed size filled with 0, 1, 2, ...
std::vector<std::pair<std::string, Tensor>> unpickle(const std::string& bytes) {
  return pickle::load_state_dict(
             bytes,
             [](const std::string&, DType dtype, int64_t numel) {
               auto s = std::make_shared<Storage>(static_cast<size_t>(numel) * dtype_size(dtype));
               for (int64_t i = 0; i < numel && dtype == DType::f32; ++i)
                 static_cast<float*>(s->data())[i] = static_cast<float>(i);
               return s;
             },
             "test.pkl")
      .tensors;
}

// {"a": v, "b": v, ...}: `count` tensors viewing storage '0' (of `numel` elements) with the
// same size and stride.
std::string tensors_pickle(int count, int64_t numel, const Shape& size, const Shape& stride) {
  std::string out = "\x80\x02}(";
  for (int i = 0; i < count; ++i)
    out += str(std::string(1, static_cast<char>('a' + i))) +
           "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") + "ctorch\nFloatStorage\n" +
           str("0") + str("cpu") + i64(numel) + "tQ" + i64(0) + tuple(size) + tuple(stride) +
           "\x89" + "ccollections\nOrderedDict\n)RtR";
  return out + "u.";
}

std::string valid_archive() {
  return archive(tensor_pickle(4, {2, 2}, {2, 1}), std::string(16, '\0'));
}

std::string load_error(const std::string& name, const std::string& bytes) {
  const std::string path = write_temp(name, bytes);
  const std::string message = error_of([&] { load_pth(path); });
  std::filesystem::remove(path);
  return message;
}

// ---- round trip through our own writer ----

TEST(Pth, SaveThenLoadIsBitIdentical) {
  Generator gen(3);
  nn::StateDict tensors{
      {"conv.weight", Tensor::normal({4, 3, 3, 3}, 0, 1, gen)},
      {"fc.weight", Tensor::normal({5, 7}, 0, 1, gen).transpose(0, 1)},  // not dense
      {"bn.num_batches_tracked", Tensor::from_data_i64({}, {-(int64_t{1} << 40)})},
      {"empty", Tensor::zeros({0, 3})}};
  const std::string path = temp_path("roundtrip.pth");
  save_pth(path, tensors);
  const nn::StateDict back = load_pth(path);
  ASSERT_EQ(back.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    SCOPED_TRACE(name);
    const Tensor& b = back.at(name);
    EXPECT_EQ(b.dtype(), t.dtype());
    EXPECT_EQ(b.shape(), t.shape());
    if (t.dtype() == DType::f32)
      EXPECT_TRUE(testing::bit_identical(b, t));
    else
      EXPECT_EQ(b.to_vector_i64(), t.to_vector_i64());
  }
  // Data start on 64-byte boundaries, as torch writes them (mmap-friendly).
  zip::Reader reader(path);
  EXPECT_EQ(reader.entries().size(), 6u);  // data.pkl, 4 storages, version
  const std::string bytes = read_all(path);
  for (const zip::Entry& e : reader.entries()) {
    const size_t h = e.local_header_offset;
    EXPECT_EQ((h + 30 + get_le(bytes, h + 26, 2) + get_le(bytes, h + 28, 2)) % 64, 0u) << e.name;
  }
  std::filesystem::remove(path);
}

TEST(Pth, ReadsZip64EndRecordWhenTheClassicOneIsSaturated) {
  std::string bytes = valid_archive();
  set_le(bytes, bytes.size() - 22 + 16, 0xffffffff, 4);  // central directory offset -> zip64
  const std::string path = write_temp("zip64.pth", bytes);
  EXPECT_EQ(load_pth(path).at("w").to_vector(), (std::vector<float>{0, 0, 0, 0}));
  std::filesystem::remove(path);
}

TEST(Pth, ViewsReadThroughStridesAndOffset) {
  // storage 0..11; size (2, 3), stride (1, 4), offset 1 -> [[1, 5, 9], [2, 6, 10]]
  const auto out = unpickle(tensor_pickle(12, {2, 3}, {1, 4}, 1));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].second.is_contiguous());
  EXPECT_EQ(out[0].second.to_vector(), (std::vector<float>{1, 5, 9, 2, 6, 10}));
}

TEST(Pth, MetadataVersionsRoundTrip) {
  const std::string path = temp_path("versions.pth");
  const ModuleVersions versions = {{"", 2}, {"layers", 1}, {"layers.1", 2}};
  save_pth(path, {{"layers.1.weight", Tensor::zeros({2})}}, versions);
  ModuleVersions back;
  load_pth(path, &back);
  EXPECT_EQ(back, versions);
  save_pth(path, {{"w", Tensor::zeros({2})}});
  load_pth(path, &back);
  EXPECT_TRUE(back.empty());
  std::filesystem::remove(path);
}

// A view that reads its storage more than once (stride 0, as torch's expand makes) is copied
// into a dense tensor only within the budget: kMaxExpansionRatio times the storages' bytes
// plus kMaxExpandedBytes.
TEST(Pth, ExpandedViewsAreCopiedWithinABudget) {
  const auto small = unpickle(tensor_pickle(1, {3, 4}, {0, 0}));
  EXPECT_EQ(small[0].second.to_vector(), std::vector<float>(12, 0.0f));
  EXPECT_TRUE(contains(error_of([] {
                         unpickle(tensor_pickle(1, {100000, 100000}, {0, 0}));
                       }),
                       "would be copied into 10000000000 elements; copies of views may take at "
                       "most 1024 times the 4 bytes of the storages plus 16777216 "
                       "(kMaxExpansionRatio, kMaxExpandedBytes)"));
  // Three views of 6 MiB each from one 4-byte storage: the third passes the budget.
  const int64_t six_mib = int64_t{6} << 20;
  EXPECT_TRUE(contains(error_of([&] { unpickle(tensors_pickle(3, 1, {six_mib / 4}, {0})); }),
                       "and 12582912 are taken"));
  EXPECT_EQ(unpickle(tensors_pickle(2, 1, {six_mib / 4}, {0})).size(), 2u);
  // Transposed views of a real storage are copies too, and load.
  EXPECT_EQ(unpickle(tensors_pickle(2, 4, {2, 2}, {1, 2})).size(), 2u);
}

TEST(PthHostile, LegacyFormatIsRecognized) {
  const std::string dir = temp_path("legacy");
  std::filesystem::create_directories(dir);
  const int status =
      std::system(detail::concat("PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 ", CNN_SOURCE_DIR,
                                 "/tests/io/make_legacy_pth.py '", dir, "'")
                      .c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "make_legacy_pth.py failed";
  for (const char* name : {"legacy.pth", "legacy_protocol4.pth"}) {
    const std::string path = dir + "/" + name;
    for (const std::string& message :
         {error_of([&] { load_pth(path); }), error_of([&] { load_pytorch_state_dict(path); })}) {
      EXPECT_TRUE(contains(message, path + ": a PyTorch file in the legacy format"));
      EXPECT_TRUE(contains(message, "re-save it in the zip format with PyTorch 1.6 or later"));
    }
    const auto r = testing::run_cnn(detail::concat("convert ", path, " ", dir, "/out.pth"));
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(contains(r.output, "legacy format")) << r.output;
  }
  // Any other pickle is not a .pth either.
  const std::string bare = write_temp("bare.pkl", "\x80\x02}q\x00.");
  EXPECT_TRUE(contains(error_of([&] { load_pytorch_state_dict(bare); }), "a bare Python pickle"));
  std::filesystem::remove(bare);
  std::filesystem::remove_all(dir);
}

// ---- hostile archives ----

TEST(PthHostile, NotAZip) {
  EXPECT_TRUE(contains(load_error("notzip.pth", "this is plainly not a zip archive at all"),
                       "not a zip archive"));
  EXPECT_TRUE(contains(load_error("tiny.pth", "PK"), "not a zip archive"));
}

TEST(PthHostile, Truncated) {
  const std::string bytes = valid_archive();
  EXPECT_TRUE(contains(load_error("truncated.pth", bytes.substr(0, bytes.size() / 2)),
                       "no end-of-central-directory record"));
}

TEST(PthHostile, CentralDirectoryPastTheEnd) {
  std::string bytes = valid_archive();
  set_le(bytes, bytes.size() - 22 + 16, 0x7ffffff0, 4);
  EXPECT_TRUE(contains(load_error("cd.pth", bytes), "central directory at offset 2147483632"));
  // The same lie in the zip64 end record (reached by saturating the classic field).
  std::string b64 = valid_archive();
  const size_t end64 = get_le(b64, b64.size() - 22 - 20 + 8, 8);
  set_le(b64, end64 + 48, uint64_t{1} << 62, 8);
  set_le(b64, b64.size() - 22 + 16, 0xffffffff, 4);
  EXPECT_TRUE(contains(load_error("cd64.pth", b64), "is past the end of the archive"));
}

TEST(PthHostile, EntrySizePastTheEnd) {
  std::string bytes = valid_archive();
  const size_t cd = get_le(bytes, bytes.size() - 22 + 16, 4);
  const size_t name = bytes.find("archive/data/0", cd);
  ASSERT_NE(name, std::string::npos);
  set_le(bytes, name - 46 + 20, 0x10000000, 4);  // compressed size
  set_le(bytes, name - 46 + 24, 0x10000000, 4);  // size
  EXPECT_TRUE(
      contains(load_error("size.pth", bytes), "of 268435456 bytes is past the end of the data"));
}

TEST(PthHostile, PathTraversalName) {
  // Our writer refuses such names, so write a harmless one and rename it in place.
  std::string bytes =
      zip::write_stored({{"archive/data.pkl", "\x80\x02}."}, {"archive/aa/evil", "x"}});
  for (size_t at; (at = bytes.find("archive/aa/evil")) != std::string::npos;)
    bytes.replace(at, 15, "archive/../evil");
  EXPECT_TRUE(
      contains(load_error("traversal.pth", bytes), "refusing entry name 'archive/../evil'"));
  std::string absolute = zip::write_stored({{"xetc/passwd", "x"}});
  for (size_t at; (at = absolute.find("xetc/passwd")) != std::string::npos;) absolute[at] = '/';
  EXPECT_TRUE(contains(load_error("absolute.pth", absolute), "refusing entry name '/etc/passwd'"));
}

TEST(PthHostile, CorruptDataFailsCrc) {
  std::string bytes = archive(tensor_pickle(4, {4}, {1}), std::string(16, '\x11'));
  const size_t at = bytes.find(std::string(16, '\x11'));
  bytes[at + 3] = '\x12';
  EXPECT_TRUE(contains(load_error("crc.pth", bytes), "'archive/data/0' fails its CRC-32 check"));
}

TEST(PthHostile, HugeStorageClaimIsCheckedBeforeAllocating) {
  // 2^60 floats claimed, 16 bytes present: refused without allocating 4 EiB.
  const std::string bytes =
      archive(tensor_pickle(int64_t{1} << 60, {2}, {1}), std::string(16, '\0'));
  EXPECT_TRUE(contains(load_error("huge.pth", bytes),
                       "storage '0' claims 1152921504606846976 elements of float32 but entry "
                       "'archive/data/0' holds 16 bytes"));
}

TEST(PthHostile, MissingPickle) {
  EXPECT_TRUE(contains(load_error("nopkl.pth", zip::write_stored({{"archive/version", "3\n"}})),
                       "without <archive>/data.pkl"));
}

// ---- hostile pickles ----

TEST(PickleHostile, GlobalOutsideTheAllowListIsRefused) {
  // pickle.dumps of a __reduce__ returning (os.system, ("echo pwned",)), protocol 2.
  const std::string system =
      "\x80\x02"
      "cos\nsystem\n" +
      str("echo pwned") + "\x85R.";
  EXPECT_TRUE(
      contains(error_of([&] { unpickle(system); }),
               "refusing to load: the pickle calls os.system, which a state_dict never needs"));
  EXPECT_TRUE(contains(error_of([&] {
                         unpickle(
                             "\x80\x02"
                             "cbuiltins\neval\n" +
                             str("1") + "\x85R.");
                       }),
                       "the pickle calls builtins.eval"));
  EXPECT_TRUE(
      contains(error_of([&] { unpickle("\x80\x02" + str("posix") + str("system") + "\x93."); }),
               "the pickle calls posix.system"));
  // Through the whole loader, as a file.
  EXPECT_TRUE(
      contains(load_error("system.pth", archive(system, "")), "the pickle calls os.system"));
}

TEST(PickleHostile, UnknownOpcode) {
  EXPECT_TRUE(contains(error_of([] { unpickle("\x80\x02\xff"); }),
                       "unknown or unsupported pickle opcode 0xff"));
  // INST ('i') would instantiate a class by name: not implemented at all.
  EXPECT_TRUE(contains(error_of([] { unpickle("\x80\x02(ios\nsystem\n."); }), "opcode 0x69"));
}

TEST(PickleHostile, StackUnderflow) {
  EXPECT_TRUE(contains(error_of([] { unpickle("\x80\x02s"); }), "pickle byte 2: stack underflow"));
  // Popping below a MARK is underflow too.
  EXPECT_TRUE(contains(error_of([] { unpickle("\x80\x02}(a"); }), "stack underflow"));
  EXPECT_TRUE(contains(error_of([] { unpickle("\x80\x02."); }), "STOP with 0 values on the stack"));
}

TEST(PickleHostile, BingetOfAMissingMemoKey) {
  EXPECT_TRUE(
      contains(error_of([] { unpickle("\x80\x02}q\x01h\x05."); }), "memo key 5 was never stored"));
}

TEST(PickleHostile, TruncatedPickle) {
  // A 255-byte string with 2 bytes left.
  EXPECT_TRUE(contains(error_of([] {
                         unpickle(
                             "\x80\x02X\xff\x00\x00\x00"
                             "ab"s);
                       }),
                       "truncated pickle (needs 255 more bytes, 2 left)"));
  // A 2 GiB string is refused by the cap before the length is compared with the bytes left.
  EXPECT_TRUE(contains(error_of([] {
                         unpickle(
                             "\x80\x02X\x00\x00\x00\x80"
                             "ab"s);
                       }),
                       "string of 2147483648 bytes exceeds the limit of 1048576"));
  EXPECT_TRUE(contains(error_of([] { unpickle("\x80\x02}"); }), "truncated pickle"));
}

TEST(PickleHostile, StorageShorterThanTheView) {
  // size (3, 3), stride (3, 1) reaches element 8 of a 4-element storage.
  EXPECT_TRUE(contains(error_of([] {
                         unpickle(tensor_pickle(4, {3, 3}, {3, 1}));
                       }),
                       "reaches element 8 but its storage holds 4"));
  EXPECT_TRUE(contains(error_of([] { unpickle(tensor_pickle(4, {4}, {1}, 1)); }),
                       "and offset 1 reaches element 4 but its storage holds 4"));
}

TEST(PickleHostile, OverflowingShapeAndStrides) {
  EXPECT_TRUE(contains(error_of([] {
                         unpickle(tensor_pickle(4, {int64_t{1} << 40, int64_t{1} << 40}, {1, 1}));
                       }),
                       "overflows a 64-bit element count"));
  EXPECT_TRUE(contains(error_of([] {
                         unpickle(tensor_pickle(4, {3, 3}, {int64_t{1} << 62, int64_t{1} << 62}));
                       }),
                       "overflows a 64-bit offset"));
  EXPECT_TRUE(contains(error_of([] { unpickle(tensor_pickle(4, {-1}, {1})); }),
                       "tensor size and stride must hold non-negative ints"));
}

TEST(PickleHostile, DeepNestingAndCycles) {
  // None wrapped in 100 one-tuples.
  EXPECT_TRUE(contains(error_of([] { unpickle("\x80\x02N" + std::string(100, '\x85') + "."); }),
                       "values nest deeper than 32 levels"));
  // A list appended to itself would be a cycle.
  EXPECT_TRUE(contains(error_of([] {
                         unpickle(
                             "\x80\x02]q\x00h\x00"
                             "a."s);
                       }),
                       "modifies a list already placed in another value"));
  // 70000 MARKs.
  EXPECT_TRUE(
      contains(error_of([] { unpickle("\x80\x02" + std::string(70000, '(')); }), "nested MARKs"));
}

TEST(PickleHostile, ObjectCountIsCapped) {
  // A dict filled with None: None pair by SETITEM, 2^19 + 1 times, makes 2^20 + 3 objects.
  std::string bytes = "\x80\x02}";
  for (size_t i = 0; i <= pickle::kMaxValues / 2; ++i) bytes += "NNs";
  EXPECT_TRUE(
      contains(error_of([&] { unpickle(bytes + "."); }), "more than 1048576 objects (kMaxValues)"));
}

TEST(PickleHostile, UnsupportedDtypeAndNonTensorValues) {
  EXPECT_TRUE(contains(error_of([] { unpickle(tensor_pickle(4, {4}, {1}, 0, "HalfStorage")); }),
                       "tensor data of dtype float16 (torch.HalfStorage) is not supported"));
  EXPECT_TRUE(
      contains(error_of([] { unpickle("\x80\x02K\x05."); }), "holds an int, not a state_dict"));
  EXPECT_TRUE(contains(error_of([] { unpickle("\x80\x02}" + str("a") + "K\x01s."); }),
                       "'a' holds an int, not a tensor"));
}

}  // namespace
}  // namespace cnn::io
