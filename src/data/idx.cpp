#include "cnn/data/idx.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <new>
#include <optional>

#include "cnn/error.h"
#include "core/format.h"
#include "core/input_file.h"
#include "data/gzip_member.h"

namespace cnn::data {
namespace {

using cnn::detail::with_thousands;

// The first buffer a gzipped body is inflated into holds kFirstBodyBytes or kFirstBodyRatio
// times the file's size, whichever is more (MNIST's files inflate 2 to 5 times, so most are
// read into one buffer without a copy); it doubles as more data arrives, never beyond the size
// the header declares.
constexpr uint64_t kFirstBodyBytes = uint64_t{64} << 10;
constexpr uint64_t kFirstBodyRatio = 4;

int64_t as_count(uint64_t n) {
  return static_cast<int64_t>(std::min<uint64_t>(n, INT64_MAX));
}

// The bytes of an IDX file in order: the file itself, or its one gzip member (recognised by
// its first two bytes, never by the name).
class IdxBytes {
 public:
  IdxBytes(const std::string& path, const IdxLimits& limits) : file_(path, "an IDX file") {
    uint8_t head[2] = {0, 0};
    if (file_.size() >= 2) file_.read_at(head, 2, 0);
    if (head[0] == 0x1f && head[1] == 0x8b)
      gzip_.emplace(file_, limits.max_gzip_ratio, "IdxLimits::max_gzip_ratio");
  }

  bool gzipped() const { return gzip_.has_value(); }
  uint64_t file_size() const { return file_.size(); }

  // Up to n bytes; fewer only at the end of the data.
  uint64_t read(uint8_t* out, uint64_t n) {
    if (gzip_) return gzip_->read(out, n);
    const uint64_t got = std::min(n, file_.size() - offset_);
    file_.read_at(out, got, offset_);
    offset_ += got;
    return got;
  }

  void expect_end_of_file() const {
    if (gzip_) gzip_->expect_end_of_file();
  }

 private:
  cnn::detail::InputFile file_;
  std::optional<detail::GzipMember> gzip_;
  uint64_t offset_ = 0;  // plain files: the next byte to read
};

bool looks_like_text(const uint8_t* bytes, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; ++i)
    if (!(std::isprint(bytes[i]) || std::isspace(bytes[i]))) return false;
  return true;
}

std::string find_file(const std::string& folder, const std::string& name) {
  namespace fs = std::filesystem;
  for (const std::string& candidate : {name, name + ".gz"}) {
    const fs::path p = fs::path(folder) / candidate;
    std::error_code ec;
    if (fs::exists(fs::symlink_status(p, ec))) return p.string();
  }
  fail(folder, ": neither ", name, " nor ", name, ".gz found (expected an MNIST-layout folder)");
}

// The header: magic, element type, rank, then one big-endian 32-bit extent per dimension.
Shape read_header(IdxBytes& in, const std::string& path, const IdxLimits& limits) {
  uint8_t magic[4] = {0, 0, 0, 0};
  const uint64_t got = in.read(magic, 4);
  CNN_CHECK(got == 4, path, ": truncated: ", got, " bytes, too short for an IDX header");
  if (magic[0] != 0 || magic[1] != 0) {
    CNN_CHECK(!looks_like_text(magic, 4), path, ": this is text, not IDX");
    fail(path, ": not an IDX file (magic bytes ", static_cast<int>(magic[0]), " ",
         static_cast<int>(magic[1]), ", expected 0 0)");
  }
  CNN_CHECK(magic[2] == 0x08, path, ": element type 0x", std::hex, static_cast<int>(magic[2]),
            std::dec, " is not supported (only unsigned bytes, 0x08, as in MNIST)");
  const int rank = magic[3];
  CNN_CHECK(rank >= 1 && rank <= 4, path, ": rank ", rank, " is not supported (1 to 4)");
  Shape shape;
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    uint8_t b[4];
    CNN_CHECK(in.read(b, 4) == 4, path, ": truncated inside the header (dimension ", d, ")");
    const int64_t extent =
        (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
    shape.push_back(extent);
    CNN_CHECK(!__builtin_mul_overflow(count, extent, &count) && count <= limits.max_elements, path,
              ": dimensions ", to_string(shape), "... of the header exceed the limit of ",
              with_thousands(limits.max_elements), " elements (IdxLimits::max_elements)");
  }
  return shape;
}

// A plain file: its size must be exactly the header plus the elements, checked before the
// elements are allocated.
void read_plain_body(IdxBytes& in, const std::string& path, IdxArray& out, uint64_t header,
                     uint64_t count) {
  const uint64_t expected = header + count, size = in.file_size();
  CNN_CHECK(size >= expected, path, ": truncated: ", with_thousands(as_count(expected)),
            " bytes expected, ", with_thousands(as_count(size)), " found");
  CNN_CHECK(size == expected, path, ": ", with_thousands(as_count(size - expected)),
            " bytes of trailing data after the ", with_thousands(as_count(expected)),
            " bytes that dimensions ", to_string(out.shape), " describe");
  out.values.resize(static_cast<size_t>(count));
  in.read(out.values.data(), count);
}

// A gzipped file: refused at once when the header declares more than the file could inflate
// to; otherwise inflated into a buffer that grows as the data arrives.
void read_gzipped_body(IdxBytes& in, const std::string& path, const IdxLimits& limits,
                       IdxArray& out, uint64_t header, uint64_t count) {
  const uint64_t expected = header + count;
  uint64_t capacity = 0;
  const bool bounded = !__builtin_mul_overflow(static_cast<uint64_t>(limits.max_gzip_ratio),
                                               in.file_size(), &capacity);
  CNN_CHECK(!bounded || expected <= capacity, path,
            ": truncated: ", with_thousands(as_count(expected)),
            " bytes expected (gzipped IDX content), more than the ",
            with_thousands(as_count(in.file_size())),
            " bytes of the file can hold at the compression-ratio limit of ",
            with_thousands(limits.max_gzip_ratio), ":1 (IdxLimits::max_gzip_ratio)");
  uint64_t have = 0;
  while (have < count) {
    if (have == out.values.size()) {
      const uint64_t first = std::max(kFirstBodyBytes, kFirstBodyRatio * in.file_size());
      out.values.resize(static_cast<size_t>(std::min(count, have == 0 ? first : 2 * have)));
    }
    const uint64_t want = out.values.size() - have;
    const uint64_t got = in.read(out.values.data() + have, want);
    have += got;
    if (got < want) break;
  }
  CNN_CHECK(have == count, path, ": truncated: ", with_thousands(as_count(expected)),
            " bytes expected (gzipped IDX content), ", with_thousands(as_count(header + have)),
            " found");
}

// The float32 tensor of `shape` for the elements of `path`, its allocation failure named.
Tensor float_tensor(const Shape& shape, const std::string& path) {
  try {
    return Tensor::empty(shape);
  } catch (const std::bad_alloc&) {
    fail(path, ": out of memory for the float32 tensor ", to_string(shape), " of its elements");
  }
}

}  // namespace

IdxArray read_idx(const std::string& path, const IdxLimits& limits) {
  CNN_CHECK(limits.max_elements >= 0 && limits.max_gzip_ratio >= 1, "read_idx: ", path,
            ": limits must be max_elements >= 0 and max_gzip_ratio >= 1, got ", limits.max_elements,
            " and ", limits.max_gzip_ratio);
  IdxBytes in(path, limits);
  IdxArray out;
  out.shape = read_header(in, path, limits);
  const auto count = static_cast<uint64_t>(checked_numel(out.shape));
  const uint64_t header = 4 + 4 * static_cast<uint64_t>(out.shape.size());
  try {
    if (in.gzipped())
      read_gzipped_body(in, path, limits, out, header, count);
    else
      read_plain_body(in, path, out, header, count);
  } catch (const std::bad_alloc&) {
    fail(path, ": out of memory for the ", with_thousands(as_count(count)),
         " bytes that dimensions ", to_string(out.shape), " describe");
  }
  uint8_t extra = 0;
  CNN_CHECK(in.read(&extra, 1) == 0, path, ": trailing data after the ",
            with_thousands(as_count(header + count)), " bytes that dimensions ",
            to_string(out.shape), " describe");
  in.expect_end_of_file();
  return out;
}

Tensor idx_images_to_tensor(const IdxArray& images, const std::string& path) {
  CNN_CHECK(images.shape.size() == 3, path, ": images must have rank 3 [count, rows, cols], got ",
            to_string(images.shape));
  CNN_CHECK(images.shape[0] >= 1, path, ": holds no images (the header gives a count of 0)");
  CNN_CHECK(images.shape[1] >= 1 && images.shape[2] >= 1, path, ": images of ", images.shape[1],
            " x ", images.shape[2], " pixels (the header gives an empty image size)");
  Tensor t = float_tensor({images.shape[0], images.shape[1], images.shape[2], 1}, path);
  float* p = t.data();
  for (size_t i = 0; i < images.values.size(); ++i)
    p[i] = static_cast<float>(images.values[i]) / 255.0f;
  return t;
}

Tensor idx_labels_to_tensor(const IdxArray& labels, const std::string& path) {
  CNN_CHECK(labels.shape.size() == 1, path, ": labels must have rank 1 [count], got ",
            to_string(labels.shape));
  CNN_CHECK(labels.shape[0] >= 1, path, ": holds no labels (the header gives a count of 0)");
  Tensor t = Tensor::empty({labels.shape[0]}, DType::i64);
  int64_t* p = t.data_i64();
  for (size_t i = 0; i < labels.values.size(); ++i) p[i] = labels.values[i];
  return t;
}

namespace {

LabeledImages load_split(const std::string& folder, const std::string& prefix, size_t classes) {
  const std::string image_path = find_file(folder, prefix + "-images-idx3-ubyte");
  const std::string label_path = find_file(folder, prefix + "-labels-idx1-ubyte");
  const IdxArray images = read_idx(image_path);
  const IdxArray labels = read_idx(label_path);
  LabeledImages out{idx_images_to_tensor(images, image_path),
                    idx_labels_to_tensor(labels, label_path)};
  CNN_CHECK(out.images.size(0) == out.labels.size(0), label_path, ": ", out.labels.size(0),
            " labels for ", out.images.size(0), " images in ", image_path);
  const int64_t* l = out.labels.data_i64();
  for (int64_t i = 0; i < out.labels.numel(); ++i)
    CNN_CHECK(l[i] < static_cast<int64_t>(classes), label_path, ": label ", l[i], " at index ", i,
              " is not below the class count ", classes);
  return out;
}

}  // namespace

ImageClassificationData load_mnist_folder(const std::string& folder,
                                          const std::vector<std::string>& class_names) {
  std::error_code ec;
  CNN_CHECK(std::filesystem::is_directory(folder, ec), folder, ": no such folder");
  ImageClassificationData data;
  data.train = load_split(folder, "train", class_names.size());
  data.test = load_split(folder, "t10k", class_names.size());
  data.class_names = class_names;
  return data;
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

ImageClassificationData fashion_mnist(const std::string& folder) {
  return load_mnist_folder(folder, fashion_mnist_classes());
}

}  // namespace cnn::data
