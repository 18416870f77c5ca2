#include "cnn/train/data_source.h"

#include <cmath>
#include <filesystem>

#include "cnn/data/idx.h"
#include "cnn/data/image_folder.h"
#include "cnn/error.h"

namespace cnn::train {
namespace {

namespace fs = std::filesystem;

// The first `count` examples of another dataset.
class PrefixDataset final : public data::Dataset {
 public:
  PrefixDataset(std::shared_ptr<const data::Dataset> base, int64_t count)
      : base_(std::move(base)), count_(std::min(count, base_->size())) {}
  int64_t size() const override { return count_; }
  data::Example get(int64_t index) const override {
    CNN_CHECK(index >= 0 && index < count_, "dataset index ", index, " is outside [0, ", count_,
              ")");
    return base_->get(index);
  }
  const std::vector<std::string>& classes() const override { return base_->classes(); }
  Shape example_shape() const override { return base_->example_shape(); }

 private:
  std::shared_ptr<const data::Dataset> base_;
  int64_t count_;
};

std::shared_ptr<const data::Dataset> limited(std::shared_ptr<const data::Dataset> d,
                                             int64_t limit) {
  if (limit <= 0 || limit >= d->size()) return d;
  return std::make_shared<PrefixDataset>(std::move(d), limit);
}

bool is_idx_folder(const fs::path& folder) {
  return fs::exists(folder / "train-images-idx3-ubyte") ||
         fs::exists(folder / "train-images-idx3-ubyte.gz");
}

}  // namespace

TrainingData open_training_data(const std::string& folder, int64_t train_limit,
                                int64_t test_limit) {
  const fs::path root(folder);
  CNN_CHECK(fs::is_directory(root), folder, ": no such folder");
  TrainingData out;
  if (is_idx_folder(root)) {
    std::vector<std::string> names;
    names.reserve(10);
    const bool fashion = root.string().find("fashion") != std::string::npos;
    for (int i = 0; i < 10; ++i)
      names.push_back(fashion ? data::fashion_mnist_classes()[static_cast<size_t>(i)]
                              : std::to_string(i));
    const data::ImageClassificationData d = data::load_mnist_folder(folder, names);
    out.train = std::make_shared<data::TensorDataset>(d.train, names);
    out.test = std::make_shared<data::TensorDataset>(d.test, names);
  } else if (fs::is_directory(root / "train") && fs::is_directory(root / "test")) {
    auto train = std::make_shared<data::ImageFolder>((root / "train").string());
    const Shape shape = train->example_shape();
    auto test = std::make_shared<data::ImageFolder>(
        (root / "test").string(), data::ImageFolderOptions{.size = Size2(shape[0], shape[1]),
                                                           .channels = static_cast<int>(shape[2])});
    CNN_CHECK(test->classes() == train->classes(), folder,
              ": train/ and test/ must hold the same class folders");
    out.train = train;
    out.test = test;
  } else {
    fail(folder, ": expected MNIST-layout IDX files (train-images-idx3-ubyte[.gz], ...) or the ",
         "folders train/ and test/ with one sub-folder of images per class");
  }
  out.train = limited(out.train, train_limit);
  out.test = limited(out.test, test_limit);
  out.classes = out.train->classes();
  out.image_shape = out.train->example_shape();
  return out;
}

ChannelStats channel_stats(const data::Dataset& dataset, int64_t max_examples) {
  const int64_t n = std::min(max_examples, dataset.size());
  CNN_CHECK(n > 0, "channel_stats: the dataset is empty");
  const int64_t channels = dataset.example_shape().back();
  std::vector<double> sum(static_cast<size_t>(channels), 0.0), sq(sum);
  int64_t pixels = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Tensor image = dataset.get(i).image.contiguous();
    const float* p = image.data();
    const int64_t count = image.numel() / channels;
    for (int64_t k = 0; k < count; ++k)
      for (int64_t c = 0; c < channels; ++c) {
        const double v = p[k * channels + c];
        sum[static_cast<size_t>(c)] += v;
        sq[static_cast<size_t>(c)] += v * v;
      }
    pixels += count;
  }
  ChannelStats stats;
  for (int64_t c = 0; c < channels; ++c) {
    const double mean = sum[static_cast<size_t>(c)] / static_cast<double>(pixels);
    const double var = sq[static_cast<size_t>(c)] / static_cast<double>(pixels) - mean * mean;
    stats.mean.push_back(static_cast<float>(mean));
    stats.stddev.push_back(static_cast<float>(std::sqrt(std::max(var, 1e-12))));
  }
  return stats;
}

}  // namespace cnn::train
