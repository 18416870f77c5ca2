/// \file
/// IDX files, the format of MNIST and Fashion-MNIST: a 4-byte magic (two zero bytes, an
/// element-type code, the rank), one big-endian 32-bit extent per dimension, then the elements.
/// Files may be gzipped (detected by their first two bytes). The reader is strict: it checks the
/// magic, the element type (unsigned bytes), the rank, the product of the extents against the
/// data actually present, and caps the size it will allocate. Errors name the file and what is
/// wrong, e.g. "truncated: 47,040,016 bytes expected, 1,000 found".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn::data {

struct IdxArray {
  Shape shape;
  std::vector<uint8_t> values;  ///< row-major
};

/// Largest element count read_idx accepts by default (1 GiB of bytes): larger headers are
/// refused before any allocation.
inline constexpr int64_t kMaxIdxElements = int64_t{1} << 30;
/// Most bytes a gzipped IDX file may inflate to per compressed byte, by default: deflate's own
/// maximum (258-byte matches coded in 2 bits), so no valid file is refused; a header that
/// declares more than the file could hold at this ratio is refused before anything is inflated.
inline constexpr int64_t kMaxGzipRatio = 1032;

/// What read_idx accepts; lower them to refuse large or highly compressed files sooner.
struct IdxLimits {
  int64_t max_elements = kMaxIdxElements;  ///< product of the header's dimensions
  int64_t max_gzip_ratio = kMaxGzipRatio;  ///< inflated bytes per compressed byte of a .gz
};

/// Reads a plain or gzipped IDX file. The memory it takes grows with the data actually read
/// (a gzipped body is inflated into a buffer that grows as bytes arrive), so a small file that
/// declares a large array is refused before a large allocation. A .gz must be exactly one gzip
/// member: data after it is refused like trailing data in a plain file.
IdxArray read_idx(const std::string& path, const IdxLimits& limits = {});

/// Images as float32 [N, rows, cols, 1] scaled to [0, 1] (NHWC with one channel). Raises
/// naming `path` unless images has rank 3 and N, rows and cols are at least 1.
Tensor idx_images_to_tensor(const IdxArray& images, const std::string& path);
/// Labels as int64 [N]; raises naming `path` unless labels has rank 1 and N is at least 1.
Tensor idx_labels_to_tensor(const IdxArray& labels, const std::string& path);

struct LabeledImages {
  Tensor images;  ///< [N, H, W, C] float32
  Tensor labels;  ///< [N] int64
};

struct ImageClassificationData {
  LabeledImages train, test;
  std::vector<std::string> class_names;
};

/// Reads an MNIST-layout folder: train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally with a .gz suffix.
/// Checks that label and image counts agree and that every label is below `classes`.
ImageClassificationData load_mnist_folder(const std::string& folder,
                                          const std::vector<std::string>& class_names);

/// Fashion-MNIST's ten classes, in label order.
const std::vector<std::string>& fashion_mnist_classes();
/// load_mnist_folder with Fashion-MNIST's class names. Debian's dataset-fashion-mnist package
/// installs the files in /usr/share/datasets/fashion-mnist.
ImageClassificationData fashion_mnist(
    const std::string& folder = "/usr/share/datasets/fashion-mnist");

}  // namespace cnn::data
