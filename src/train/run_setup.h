// Building the pieces of a training run from its configuration (shared by a new run and a
// resumed one), and the parts of a checkpoint's state that describe the model.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cnn/data/loader.h"
#include "cnn/nn/module.h"
#include "cnn/optim/lr_scheduler.h"
#include "cnn/optim/optimizer.h"
#include "cnn/train/config.h"
#include "cnn/train/data_source.h"

namespace cnn::train {

struct RunSetup {
  TrainConfig config;
  TrainingData data;
  Shape input_shape;  // [H, W, C] the model sees: the data's, or resized
  ChannelStats normalization;
  std::shared_ptr<nn::Module> model;
  std::unique_ptr<optim::Optimizer> optimizer;
  std::unique_ptr<optim::LrScheduler> scheduler;
  std::unique_ptr<data::DataLoader> train_loader, test_loader;
};

// This process's part of each batch in data-parallel training: slice `index` of `count`
// (data::DataLoaderOptions::shard).
struct Shard {
  int64_t index = 0;
  int64_t count = 1;
};

// Opens the data, measures its normalization (unless given: a resumed run reuses the stored
// one), builds the model from the seed, the optimizer, the schedule and both loaders (each
// yielding `shard` of every batch).
RunSetup setup_run(const TrainConfig& config, const std::optional<ChannelStats>& normalization,
                   const Shard& shard = {});

// What turns a data set's image into the model's input: resizing (when its size differs from
// `input_shape`) and normalization.
std::shared_ptr<const data::Transform> eval_transform(const Shape& image_shape,
                                                      const Shape& input_shape,
                                                      const ChannelStats& normalization);

// Two lines for the console: data, model, optimizer and schedule.
std::string describe_run(const RunSetup& run);

// The checkpoint-state fields that let a program rebuild the model without the data:
// "config", "classes", "input_shape", "normalization".
nlohmann::json describe_model(const RunSetup& run);
ChannelStats normalization_of(const nlohmann::json& state);

// Dropout layers own generators; their states, by module path, as int64 [4] tensors.
nn::StateDict dropout_generator_states(const nn::Module& model);
void load_dropout_generator_states(nn::Module& model, const nn::StateDict& states);

}  // namespace cnn::train
