#include "train/run_setup.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/data/transforms.h"
#include "cnn/error.h"
#include "cnn/generator.h"
#include "cnn/models/registry.h"
#include "cnn/nn/activation.h"
#include "cnn/optim/adam.h"
#include "cnn/optim/schedule.h"
#include "cnn/optim/sgd.h"
#include "cnn/parallel.h"
#include "train/model_factory.h"

namespace cnn::train {
namespace {

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c, std::vector<Tensor> params) {
  const auto lr = static_cast<float>(c.lr), decay = static_cast<float>(c.weight_decay);
  if (c.optimizer == "sgd")
    return std::make_unique<optim::SGD>(
        std::move(params), optim::SGDOptions{.lr = lr,
                                             .momentum = static_cast<float>(c.momentum),
                                             .weight_decay = decay,
                                             .nesterov = c.momentum > 0.0});
  if (c.optimizer == "adam")
    return std::make_unique<optim::Adam>(std::move(params),
                                         optim::AdamOptions{.lr = lr, .weight_decay = decay});
  return std::make_unique<optim::AdamW>(std::move(params),
                                        optim::AdamWOptions{.lr = lr, .weight_decay = decay});
}

std::shared_ptr<const data::Transform> train_transform(const TrainConfig& c,
                                                       const Shape& data_shape, const Shape& shape,
                                                       const ChannelStats& norm) {
  std::vector<std::shared_ptr<const data::Transform>> steps;
  if (data_shape[0] != shape[0] || data_shape[1] != shape[1])
    steps.push_back(std::make_shared<data::Resize>(Size2(shape[0], shape[1])));
  if (c.crop_padding > 0)
    steps.push_back(
        std::make_shared<data::RandomCrop>(Size2(shape[0], shape[1]), Pad2d(c.crop_padding)));
  if (c.flip) steps.push_back(std::make_shared<data::RandomHorizontalFlip>(0.5f));
  steps.push_back(std::make_shared<data::Normalize>(norm.mean, norm.stddev));
  // After normalization, as torchvision's recipes do: erased pixels take the mean value 0.
  if (c.erasing > 0.0f)
    steps.push_back(std::make_shared<data::RandomErasing>(
        data::RandomErasingOptions{.p = static_cast<float>(c.erasing)}));
  return std::make_shared<data::Compose>(std::move(steps));
}

// Visits every module with its dotted path ("" for the root).
template <class M, class F>
void for_each_module(M& module, const std::string& path, F&& f) {
  f(module, path);
  for (const auto& [name, child] : module.named_children())
    for_each_module(*child, path.empty() ? name : path + "." + name, f);
}

}  // namespace

std::shared_ptr<const data::Transform> eval_transform(const Shape& image_shape,
                                                      const Shape& input_shape,
                                                      const ChannelStats& normalization) {
  std::vector<std::shared_ptr<const data::Transform>> steps;
  if (image_shape[0] != input_shape[0] || image_shape[1] != input_shape[1])
    steps.push_back(std::make_shared<data::Resize>(Size2(input_shape[0], input_shape[1])));
  steps.push_back(std::make_shared<data::Normalize>(normalization.mean, normalization.stddev));
  return std::make_shared<data::Compose>(std::move(steps));
}

RunSetup setup_run(const TrainConfig& config, const std::optional<ChannelStats>& normalization,
                   const Shard& shard) {
  RunSetup run;
  run.config = config;
  if (config.threads > 0) {
    try {
      set_num_threads(static_cast<int>(config.threads));
    } catch (const Error& e) {
      fail("threads ", config.threads, ": ", e.what());
    }
  }
  run.data = open_training_data(config.data, config.train_limit, config.test_limit);
  run.normalization = normalization ? *normalization : channel_stats(*run.data.train);
  const Shape& data_shape = run.data.image_shape;
  if (config.resize > 0)
    check_image_shape({config.resize, config.resize, data_shape[2]},
                      "resize " + std::to_string(config.resize));
  const int64_t side = config.resize > 0 ? config.resize : std::min(data_shape[0], data_shape[1]);
  CNN_CHECK(config.crop_padding <= side, "crop_padding ", config.crop_padding,
            " is larger than the images (", side,
            " pixels on their shorter side): a random crop would often hold no image at all");
  const ChannelStats& n = run.normalization;
  CNN_CHECK(n.mean.size() == static_cast<size_t>(data_shape[2]) &&
                n.stddev.size() == static_cast<size_t>(data_shape[2]),
            "the normalization has ", n.mean.size(), " means and ", n.stddev.size(),
            " standard deviations for images of ", data_shape[2], " channels");
  for (size_t c = 0; c < n.mean.size(); ++c)
    CNN_CHECK(std::isfinite(n.mean[c]) && std::isfinite(n.stddev[c]) && n.stddev[c] > 0.0f,
              "the normalization of channel ", c, " (mean ", n.mean[c], ", std ", n.stddev[c],
              ") is not finite with a positive std");
  Generator gen(config.seed);
  BuiltModel built = build_model(
      config, static_cast<int64_t>(run.data.classes.size()),
      config.resize > 0 ? Shape{config.resize, config.resize, data_shape[2]} : data_shape, gen);
  run.model = built.model;
  run.input_shape = built.input_shape;
  const Shape& shape = run.input_shape;
  // One image through the model before anything is written: a model whose smallest input is
  // larger than the data's fails here with a hint instead of at the first step.
  try {
    NoGradGuard no_grad;
    run.model->eval();
    (*run.model)(Tensor::zeros({1, shape[0], shape[1], shape[2]}));
    run.model->train();
  } catch (const Error& e) {
    fail("model ", config.model, " cannot take ", shape[0], "x", shape[1], "x", shape[2],
         " images (", e.what(),
         "); docs/MODELS.md lists each model's smallest input, and --resize N enlarges the images");
  }
  run.optimizer = make_optimizer(config, run.model->parameters());
  run.train_loader = std::make_unique<data::DataLoader>(
      run.data.train, train_transform(config, data_shape, shape, run.normalization),
      data::DataLoaderOptions{.batch_size = config.batch_size,
                              .shuffle = true,
                              .seed = config.seed,
                              .shard = shard.index,
                              .shards = shard.count});
  run.test_loader = std::make_unique<data::DataLoader>(
      run.data.test, eval_transform(data_shape, shape, run.normalization),
      data::DataLoaderOptions{.batch_size = 250, .shard = shard.index, .shards = shard.count});
  const int64_t steps = run.train_loader->batches_per_epoch();
  config.validate_steps(steps);
  optim::ScheduleConfig schedule{.name = config.schedule,
                                 .lr = static_cast<float>(config.lr),
                                 .total_steps = config.epochs * steps,
                                 .steps_per_epoch = steps,
                                 .warmup_steps = config.warmup_epochs * steps};
  if (config.schedule == "step") {  // drops by 10x at half and three quarters of the run
    schedule.milestone_epochs = {std::max<int64_t>(1, config.epochs / 2),
                                 std::max<int64_t>(2, config.epochs * 3 / 4)};
    if (schedule.milestone_epochs[1] <= schedule.milestone_epochs[0])
      schedule.milestone_epochs.pop_back();
  }
  run.scheduler =
      std::make_unique<optim::LrScheduler>(*run.optimizer, optim::make_schedule(schedule));
  return run;
}

std::string describe_run(const RunSetup& run) {
  const TrainConfig& c = run.config;
  const Shape& s = run.data.image_shape;
  std::ostringstream out;
  out << "data " << c.data << ": " << run.data.train->size() << " training and "
      << run.data.test->size() << " test images, " << s[0] << "x" << s[1] << "x" << s[2] << ", "
      << run.data.classes.size() << " classes";
  if (run.input_shape != s)
    out << ", resized to " << run.input_shape[0] << "x" << run.input_shape[1];
  out << "\n"
      << "model " << c.model << " (" << run.model->parameter_count() << " parameters), "
      << c.optimizer << " lr " << c.lr << " " << run.scheduler->schedule().describe() << ", batch "
      << c.batch_size << ", " << c.epochs << " epochs of " << run.train_loader->batches_per_epoch()
      << " steps, " << num_threads() << " threads, run folder " << c.out;
  return out.str();
}

nlohmann::json describe_model(const RunSetup& run) {
  return {{"config", nlohmann::json::parse(run.config.to_json())},
          {"classes", run.data.classes},
          {"input_shape", run.input_shape},
          {"normalization", {{"mean", run.normalization.mean}, {"std", run.normalization.stddev}}}};
}

ChannelStats normalization_of(const nlohmann::json& state) {
  const auto& n = state.at("normalization");
  return {n.at("mean").get<std::vector<float>>(), n.at("std").get<std::vector<float>>()};
}

nn::StateDict dropout_generator_states(const nn::Module& model) {
  nn::StateDict out;
  for_each_module(model, "", [&](const nn::Module& m, const std::string& path) {
    if (const auto* d = dynamic_cast<const nn::Dropout*>(&m)) {
      const Generator::State s = const_cast<nn::Dropout*>(d)->generator().state();
      out.insert(path, Tensor::from_data_i64(
                           {4}, {static_cast<int64_t>(s[0]), static_cast<int64_t>(s[1]),
                                 static_cast<int64_t>(s[2]), static_cast<int64_t>(s[3])}));
    }
  });
  return out;
}

void load_dropout_generator_states(nn::Module& model, const nn::StateDict& states) {
  for_each_module(model, "", [&](nn::Module& m, const std::string& path) {
    if (auto* d = dynamic_cast<nn::Dropout*>(&m)) {
      const Tensor* state = states.find(path);
      CNN_CHECK(state != nullptr, "checkpoint: no generator state for dropout layer '", path, "'");
      const std::vector<int64_t> v = state->to_vector_i64();
      CNN_CHECK(v.size() == 4, "checkpoint: generator state of '", path, "' has ", v.size(),
                " words");
      d->generator().set_state({static_cast<uint64_t>(v[0]), static_cast<uint64_t>(v[1]),
                                static_cast<uint64_t>(v[2]), static_cast<uint64_t>(v[3])});
    }
  });
}

}  // namespace cnn::train
