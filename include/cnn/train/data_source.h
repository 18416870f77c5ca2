/// \file
/// Where training data comes from: a folder in MNIST's layout (four IDX files, optionally
/// gzipped, such as /usr/share/datasets/fashion-mnist) or a folder with `train/` and `test/`
/// image folders (one sub-folder of PNG or JPEG files per class, sorted names = classes).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cnn/data/dataset.h"

namespace cnn::train {

struct TrainingData {
  std::shared_ptr<const data::Dataset> train, test;
  std::vector<std::string> classes;
  Shape image_shape;  ///< [H, W, C]
};

/// limits > 0 keep only the first examples of each split. Fashion-MNIST's class names are used
/// for an IDX folder with ten classes whose path names fashion-mnist, else "0".."9".
TrainingData open_training_data(const std::string& folder, int64_t train_limit, int64_t test_limit);

/// Mean and standard deviation per channel over up to `max_examples` examples, in order.
struct ChannelStats {
  std::vector<float> mean, stddev;
};
ChannelStats channel_stats(const data::Dataset& dataset, int64_t max_examples = 20000);

}  // namespace cnn::train
