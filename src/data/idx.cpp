#include "cnn/data/idx.h"

#include <zlib.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "cnn/error.h"
#include "core/format.h"

namespace cnn::data {
namespace {

// A byte source over a plain or gzipped file; zlib's gz* functions read both.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    CNN_CHECK(f != nullptr, path, ": cannot open: ", std::strerror(errno));
    unsigned char head[2] = {0, 0};
    const size_t n = std::fread(head, 1, 2, f);
    std::fclose(f);
    gzipped_ = n == 2 && head[0] == 0x1f && head[1] == 0x8b;
    file_ = gzopen(path.c_str(), "rb");
    CNN_CHECK(file_ != nullptr, path, ": cannot open: ", std::strerror(errno));
  }
  ~Reader() { gzclose(file_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  bool gzipped() const { return gzipped_; }

  // Reads up to n bytes; returns how many were read. Raises on a corrupt gzip stream.
  uint64_t read(uint8_t* out, uint64_t n) {
    uint64_t total = 0;
    while (total < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(n - total, 1u << 30));
      const int got = gzread(file_, out + total, chunk);
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(file_, &code);
        fail(path_, ": corrupt gzip stream: ", msg);
      }
      if (got == 0) {
        int code = 0;
        const char* msg = gzerror(file_, &code);
        CNN_CHECK(code == Z_OK || code == Z_BUF_ERROR, path_, ": corrupt gzip stream: ", msg);
        if (gzipped_ && code == Z_BUF_ERROR)
          fail(path_, ": gzip stream ends early (truncated .gz file)");
        break;
      }
      total += static_cast<uint64_t>(got);
    }
    return total;
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  bool gzipped_ = false;
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
    if (fs::exists(p)) return p.string();
  }
  fail(folder, ": neither ", name, " nor ", name, ".gz found (expected an MNIST-layout folder)");
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  Reader in(path);
  uint8_t magic[4] = {0, 0, 0, 0};
  const uint64_t got = in.read(magic, 4);
  const std::string kind = in.gzipped() ? "gzipped IDX" : "IDX";
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
  IdxArray out;
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    uint8_t b[4];
    CNN_CHECK(in.read(b, 4) == 4, path, ": truncated inside the header (dimension ", d, ")");
    const int64_t extent =
        (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
    out.shape.push_back(extent);
    CNN_CHECK(!__builtin_mul_overflow(count, extent, &count) && count <= kMaxIdxElements, path,
              ": dimensions ", to_string(out.shape), "... exceed the limit of ",
              detail::with_thousands(kMaxIdxElements), " elements");
  }
  const uint64_t header = 4 + 4 * static_cast<uint64_t>(rank);
  const uint64_t expected = header + static_cast<uint64_t>(count);
  if (!in.gzipped()) {
    // Compare with the file's length before allocating anything.
    const uint64_t size = std::filesystem::file_size(path);
    CNN_CHECK(size >= expected, path, ": truncated: ", detail::with_thousands(expected),
              " bytes expected, ", detail::with_thousands(size), " found");
    CNN_CHECK(size == expected, path, ": ", detail::with_thousands(size - expected),
              " bytes of trailing data after the ", detail::with_thousands(expected),
              " bytes that dimensions ", to_string(out.shape), " describe");
  }
  out.values.resize(static_cast<size_t>(count));
  const uint64_t body = in.read(out.values.data(), static_cast<uint64_t>(count));
  CNN_CHECK(body == static_cast<uint64_t>(count), path,
            ": truncated: ", detail::with_thousands(expected), " bytes expected (", kind,
            " content), ", detail::with_thousands(header + body), " found");
  uint8_t extra = 0;
  CNN_CHECK(in.read(&extra, 1) == 0, path, ": trailing data after the ",
            detail::with_thousands(expected), " bytes that dimensions ", to_string(out.shape),
            " describe");
  return out;
}

Tensor idx_images_to_tensor(const IdxArray& images, const std::string& path) {
  CNN_CHECK(images.shape.size() == 3, path, ": images must have rank 3 [count, rows, cols], got ",
            to_string(images.shape));
  Tensor t = Tensor::empty({images.shape[0], images.shape[1], images.shape[2], 1});
  float* p = t.data();
  for (size_t i = 0; i < images.values.size(); ++i)
    p[i] = static_cast<float>(images.values[i]) / 255.0f;
  return t;
}

Tensor idx_labels_to_tensor(const IdxArray& labels, const std::string& path) {
  CNN_CHECK(labels.shape.size() == 1, path, ": labels must have rank 1 [count], got ",
            to_string(labels.shape));
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
  CNN_CHECK(std::filesystem::is_directory(folder), folder, ": no such folder");
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
