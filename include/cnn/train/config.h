/// \file
/// The configuration of a training run: what `cnn train` resolves from its options and writes
/// to the run folder as config.json, and what --resume reads back.
#pragma once

#include <cstdint>
#include <string>

#include "cnn/shape.h"

namespace cnn::train {

/// The ranges TrainConfig::validate enforces on options and on configurations read back from
/// run folders (docs/RELIABILITY.md). Each bounds what a value could make the trainer allocate
/// or loop over; raise one here and rebuild to go beyond it.
namespace limits {
inline constexpr int64_t kMaxEpochs = 100'000;
inline constexpr int64_t kMaxBatchSize = 65'536;
/// epochs x steps per epoch: the schedule's length (checked once the data's size is known).
inline constexpr int64_t kMaxTotalSteps = int64_t{1} << 31;
inline constexpr int64_t kMaxThreads = 1024;
/// --resize, --crop-padding and an input shape's sides, in pixels (the image readers'
/// ImageLimits::max_side).
inline constexpr int64_t kMaxImageSide = 16'384;
/// An input shape's channels and its elements, rows x columns x channels (one image of 64 Mi
/// floats is 256 MiB before the model's first layer multiplies it).
inline constexpr int64_t kMaxImageChannels = 4'096;
inline constexpr int64_t kMaxImageElements = int64_t{1} << 26;
inline constexpr int64_t kMaxClasses = 1'000'000;
}  // namespace limits

/// Raises cnn::Error naming `what` unless `hwc` is [rows, columns, channels], each positive and
/// within limits::kMaxImageSide / kMaxImageChannels, with at most limits::kMaxImageElements
/// elements: shapes from options and from checkpoints pass here before anything is allocated.
void check_image_shape(const Shape& hwc, const std::string& what);

struct TrainConfig {
  std::string model = "resnet20";  ///< a zoo name, or an ONNX file (copied into the run folder)
  std::string data = "/usr/share/datasets/fashion-mnist";
  int64_t epochs = 5;
  int64_t batch_size = 128;
  std::string optimizer = "sgd";  ///< sgd | adam | adamw
  double lr = 0.1;                ///< the peak learning rate for "onecycle"
  double momentum = 0.9;          ///< SGD momentum (Nesterov); Adam's beta1 is its own default
  double weight_decay = 5e-4;
  std::string schedule = "onecycle";  ///< constant | step | cosine | onecycle
  int64_t warmup_epochs = 0;
  double label_smoothing = 0.0;
  int64_t resize =
      0;  ///< resize images to N x N pixels first (models with a larger minimum input); 0: off
  int64_t crop_padding = 2;  ///< random crop after zero padding by this much; 0: no crop
  bool flip = true;          ///< random horizontal flip
  double erasing = 0.0;      ///< probability of random erasing
  uint64_t seed = 1;
  int64_t threads = 0;      ///< 0: every core
  int64_t train_limit = 0;  ///< use the first N training images; 0: all
  int64_t test_limit = 0;   ///< evaluate on the first N test images; 0: all
  int64_t num_classes = 0;  ///< an ONNX model's classifier is replaced when this differs from its
                            ///< outputs; 0: the model's
  /// Data-parallel training: batch statistics over every rank's shard of the batch (sync batch
  /// norm) instead of each rank's own; no effect in one process.
  bool sync_bn = false;
  std::string out;  ///< the run folder

  std::string to_json() const;
  /// Fields that are missing keep their defaults; raises cnn::Error naming a field of the wrong
  /// type or one this version does not know.
  static TrainConfig from_json(const std::string& text, const std::string& source);
  /// Raises cnn::Error naming the first invalid field, its value and its range (`limits`).
  void validate() const;
  /// Raises cnn::Error when the run's length, epochs x steps_per_epoch, is over
  /// limits::kMaxTotalSteps or an epoch has no step.
  void validate_steps(int64_t steps_per_epoch) const;
};

}  // namespace cnn::train
