#include "cnn/train/trained_model.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cnn/error.h"
#include "cnn/generator.h"
#include "cnn/models/registry.h"
#include "cnn/nn/init.h"
#include "cnn/train/checkpoint.h"
#include "cnn/train/trainer.h"
#include "train/run_setup.h"

namespace cnn::train {

TrainedModel load_trained_model(const std::string& path) {
  namespace fs = std::filesystem;
  std::string file = path;
  if (fs::is_directory(path)) {
    file = fs::exists(best_checkpoint_path(path)) ? best_checkpoint_path(path) : latest_checkpoint_path(path);
    CNN_CHECK(fs::exists(file), path, ": a run folder without checkpoint-best.ckpt or checkpoint-latest.ckpt");
  }
  const Checkpoint c = load_checkpoint(file);
  TrainedModel t;
  t.path = file;
  try {
    const nlohmann::json state = nlohmann::json::parse(c.state);
    t.config = TrainConfig::from_json(state.at("config").dump(), file);
    t.classes = state.at("classes").get<std::vector<std::string>>();
    t.input_shape = state.at("input_shape").get<Shape>();
    t.normalization = normalization_of(state);
    t.epochs_done = state.at("epoch").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    fail(file, ": the checkpoint's state is incomplete: ", e.what());
  }
  CNN_CHECK(t.input_shape.size() == 3 && !t.classes.empty(), file, ": the checkpoint's input shape or classes are invalid");
  Generator gen(t.config.seed);
  nn::SkipInitGuard skip;  // every weight comes from the checkpoint
  t.model = models::create(t.config.model,
                           {.classes = static_cast<int64_t>(t.classes.size()), .in_channels = t.input_shape[2]},
                           gen);
  t.model->load_state_dict(with_prefix_removed(c.tensors, "model"));
  t.model->eval();
  return t;
}

}  // namespace cnn::train
