/// \file
/// ImageFolder: a dataset of image files, one sub-folder of `root` per class, like
/// torchvision.datasets.ImageFolder:
///
/// ```text
///   root/cat/001.png, root/cat/kitten/7.jpg, root/dog/a.JPEG, ...
/// ```
///
/// Class names are the sub-folder names in sorted (byte) order and labels their positions.
/// Within a class, files are found recursively and ordered as torchvision's os.walk order:
/// by folder, then by file name. Files ending in .png, .jpg or .jpeg (any case) are examples;
/// other files are ignored. Symbolic links to files are followed, links to folders are not
/// (so a link cycle cannot make the scan endless).
///
/// Decoding is lazy: the constructor only lists files (and decodes the first image when the
/// shape is not fully given by the options); get() decodes, so that a DataLoader's producer
/// thread does the work. Every example has one shape [H, W, C]: `.size` resizes each image
/// (bilinear, PyTorch's interpolate(mode='bilinear', align_corners=False), no antialiasing)
/// and `.channels` converts gray <-> RGB; without them the first image fixes the shape and an
/// image that differs raises an error naming it.
#pragma once

#include <string>
#include <vector>

#include "cnn/data/dataset.h"
#include "cnn/data/image.h"
#include "cnn/shape.h"

namespace cnn::data {

struct ImageFolderOptions {
  Size2 size = 0;    ///< {rows, cols} to resize to (28: square); 0: as the first image
  int channels = 0;  ///< 1 or 3 to convert; 0: as the first image
  ImageLimits limits = {};
};

class ImageFolder : public Dataset {
 public:
  explicit ImageFolder(const std::string& root, const ImageFolderOptions& options = {});

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  Example get(int64_t index) const override;
  const std::vector<std::string>& classes() const override { return classes_; }
  Shape example_shape() const override { return shape_; }

  /// The file behind example `index` (for messages and inspection).
  const std::string& path(int64_t index) const;

 private:
  struct File {
    std::string path;
    int64_t label;
  };
  ImageFolderOptions options_;
  bool resize_;  ///< options_.size was given
  std::vector<std::string> classes_;
  std::vector<File> files_;
  Shape shape_;  ///< [H, W, C]
};

}  // namespace cnn::data
