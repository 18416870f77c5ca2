#include "cnn/data/image_folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <tuple>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/ops/upsample.h"
#include "core/input_file.h"

namespace cnn::data {
namespace {

namespace fs = std::filesystem;

bool has_image_extension(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// Sub-folders of root (links to folders included, as torchvision's entry.is_dir()), sorted.
std::vector<std::string> class_folders(const fs::path& root) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(root))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Image files under `folder`, in os.walk order: by containing folder, then by name. A name
// with an image extension that is not a regular file (a FIFO, socket or device, or a link to
// one, or a dangling link) is refused here, when the folder is listed: skipping it would make
// the dataset silently differ from the folder, and opening it could block a reader. Folders
// are walked, whatever their names.
std::vector<std::string> image_files(const fs::path& folder) {
  std::vector<std::pair<std::string, std::string>> found;  // (parent folder, file name)
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(folder)) {
    if (!has_image_extension(entry.path()) || entry.is_directory()) continue;
    cnn::detail::check_regular_file(entry.path().string(), "an image of an image folder");
    found.emplace_back(entry.path().parent_path().string(), entry.path().filename().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  paths.reserve(found.size());
  for (const auto& [parent, name] : found) paths.push_back((fs::path(parent) / name).string());
  return paths;
}

}  // namespace

ImageFolder::ImageFolder(const std::string& root, const ImageFolderOptions& options)
    : options_(options), resize_(options.size != Size2(0)) {
  CNN_CHECK(options.channels == 0 || options.channels == 1 || options.channels == 3,
            "ImageFolder: ", root, ": channels must be 0 (as the first image), 1 or 3, got ",
            options.channels);
  CNN_CHECK(!resize_ || (options.size.h >= 1 && options.size.w >= 1), "ImageFolder: ", root,
            ": size must be at least 1 x 1 (or 0 to keep the first image's), got ", options.size);
  CNN_CHECK(!resize_ || (options.size.h <= options.limits.max_side &&
                         options.size.w <= options.limits.max_side),
            "ImageFolder: ", root, ": size ", options.size, " is over the limit of ",
            options.limits.max_side, " per side (ImageLimits::max_side)");
  CNN_CHECK(!resize_ || options.size.h * options.size.w <= options.limits.max_pixels,
            "ImageFolder: ", root, ": size ", options.size, " gives ",
            options.size.h * options.size.w, " pixels, over the limit of ",
            options.limits.max_pixels, " (ImageLimits::max_pixels)");
  std::error_code ec;
  const fs::file_status status = fs::status(root, ec);
  CNN_CHECK(fs::exists(status), "ImageFolder: ", root, ": no such folder");
  CNN_CHECK(fs::is_directory(status), "ImageFolder: ", root, ": not a folder");
  try {
    classes_ = class_folders(root);
    CNN_CHECK(!classes_.empty(), "ImageFolder: ", root,
              ": no class folders (expected one sub-folder of images per class, e.g. ", root,
              "/cat/1.png)");
    for (size_t label = 0; label < classes_.size(); ++label) {
      const fs::path folder = fs::path(root) / classes_[label];
      const std::vector<std::string> paths = image_files(folder);
      CNN_CHECK(!paths.empty(), "ImageFolder: class folder ", folder.string(),
                " holds no .png, .jpg or .jpeg files");
      for (const std::string& p : paths) files_.push_back({p, static_cast<int64_t>(label)});
    }
  } catch (const fs::filesystem_error& e) {
    fail("ImageFolder: ", root, ": cannot list the folder: ", e.what());
  }

  // The shape the options leave open comes from the first image.
  const Tensor first =
      resize_ && options.channels != 0
          ? Tensor()
          : decode_image(files_[0].path, {.channels = options.channels, .limits = options.limits});
  shape_ = {resize_ ? options.size.h : first.size(0), resize_ ? options.size.w : first.size(1),
            options.channels != 0 ? options.channels : first.size(2)};
}

const std::string& ImageFolder::path(int64_t index) const {
  CNN_CHECK(index >= 0 && index < size(), "ImageFolder: index ", index, " is outside [0, ", size(),
            ")");
  return files_[static_cast<size_t>(index)].path;
}

Example ImageFolder::get(int64_t index) const {
  CNN_CHECK(index >= 0 && index < size(), "ImageFolder::get: index ", index, " is outside [0, ",
            size(), ")");
  const File& file = files_[static_cast<size_t>(index)];
  Tensor image =
      decode_image(file.path, {.channels = options_.channels, .limits = options_.limits});
  const int64_t rows = image.size(0), cols = image.size(1), channels = image.size(2);
  CNN_CHECK(channels == shape_[2], "ImageFolder: ", file.path, " has ", channels,
            channels == 1 ? " channel" : " channels", " but the first image, ", files_[0].path,
            ", has ", shape_[2], "; set ImageFolderOptions::channels to convert every image");
  if (rows == shape_[0] && cols == shape_[1]) return {image, file.label};
  CNN_CHECK(resize_, "ImageFolder: ", file.path, " is ", rows, " x ", cols,
            " pixels but the first image, ", files_[0].path, ", is ", shape_[0], " x ", shape_[1],
            "; set ImageFolderOptions::size to resize every image");
  NoGradGuard no_grad;
  const Tensor resized =
      upsample_bilinear2d(image.reshape({1, rows, cols, channels}), options_.size);
  return {resized.reshape(shape_), file.label};
}

}  // namespace cnn::data
