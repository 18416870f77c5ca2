#include "cnn/train/trained_model.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cnn/error.h"
#include "cnn/generator.h"
#include "cnn/io/weights.h"
#include "cnn/models/registry.h"
#include "cnn/nn/init.h"
#include "cnn/onnx/onnx.h"
#include "cnn/train/checkpoint.h"
#include "cnn/train/trainer.h"
#include "train/model_factory.h"
#include "train/run_setup.h"

namespace cnn::train {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  CNN_CHECK(in, path, ": cannot read the labels file");
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) labels.push_back(line);
    CNN_CHECK(labels.size() <= 1000000, path, ": more than a million labels");
  }
  CNN_CHECK(!labels.empty(), path, ": the labels file is empty");
  return labels;
}

// What a checkpoint says of the model's outputs and inputs, checked before a model is built
// from it: the class count bounds the classifier's size.
void check_classes_and_normalization(const TrainedModel& t, const std::string& file) {
  CNN_CHECK(!t.classes.empty() && static_cast<int64_t>(t.classes.size()) <= limits::kMaxClasses,
            file, ": the checkpoint names ", t.classes.size(), " classes, outside [1, ",
            limits::kMaxClasses, "]");
  const auto channels = static_cast<size_t>(t.input_shape[2]);
  const ChannelStats& n = t.normalization;
  CNN_CHECK(n.mean.size() == channels && n.stddev.size() == channels, file,
            ": the checkpoint's normalization has ", n.mean.size(), " means and ", n.stddev.size(),
            " standard deviations for ", channels, " input channels");
  for (size_t c = 0; c < channels; ++c)
    CNN_CHECK(std::isfinite(n.mean[c]) && std::isfinite(n.stddev[c]) && n.stddev[c] > 0.0f, file,
              ": the checkpoint's normalization of channel ", c, " (mean ", n.mean[c], ", std ",
              n.stddev[c], ") is not finite with a positive std");
}

// An ONNX file as a trained model: classes, input shape and normalization from the options,
// the file's metadata (cnn export) or its declared shapes.
TrainedModel load_onnx_file(const std::string& path, const ModelFileOptions& options) {
  TrainedModel t;
  t.path = path;
  auto model = onnx::load(path);
  const auto& meta = model->metadata();
  const auto json_of = [&](const char* key) {
    const auto it = meta.find(key);
    if (it == meta.end()) return nlohmann::json();
    try {
      return nlohmann::json::parse(it->second);
    } catch (const nlohmann::json::exception& e) {
      fail(path, ": metadata '", key, "' is not valid JSON: ", e.what());
    }
  };
  CNN_CHECK(model->inputs().size() == 1 && model->inputs()[0].shape.size() == 4, path,
            ": expected one [N, C, H, W] image input");
  const Shape declared = model->inputs()[0].shape;
  const int64_t classes = onnx::declared_classes(*model);
  try {
    if (!options.labels.empty())
      t.classes = read_labels(options.labels);
    else if (const auto c = json_of("cnn.classes"); c.is_array())
      t.classes = c.get<std::vector<std::string>>();
    if (const auto s = json_of("cnn.input_shape"); s.is_array()) t.input_shape = s.get<Shape>();
    const auto n = json_of("cnn.normalization");
    if (options.normalize.empty() && n.is_object())
      t.normalization = {n.at("mean").get<std::vector<float>>(),
                         n.at("std").get<std::vector<float>>()};
  } catch (const nlohmann::json::exception& e) {
    fail(path, ": its cnn metadata is malformed: ", e.what());
  }
  if (t.classes.empty()) {
    CNN_CHECK(classes > 0, path, ": the number of classes is not declared; give --labels FILE");
    for (int64_t c = 0; c < classes; ++c) t.classes.push_back(std::to_string(c));
  }
  CNN_CHECK(classes < 0 || static_cast<int64_t>(t.classes.size()) == classes, path,
            ": the model has ", classes, " outputs but ", t.classes.size(), " labels are given");
  if (t.input_shape.empty()) {
    CNN_CHECK(declared[1] > 0 && declared[2] > 0 && declared[3] > 0, path,
              ": the input's channels or size are symbolic (", to_string(declared),
              "); cnn can only feed it images of a known size");
    t.input_shape = {declared[2], declared[3], declared[1]};
  }
  const auto channels = static_cast<size_t>(t.input_shape[2]);
  if (options.normalize == "imagenet") {
    CNN_CHECK(channels == 3, path, ": --normalize imagenet needs 3 channels, the model takes ",
              channels);
    t.normalization = {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
  } else if (options.normalize == "none" || t.normalization.mean.empty()) {
    t.normalization = {std::vector<float>(channels, 0.0f), std::vector<float>(channels, 1.0f)};
  } else {
    CNN_CHECK(options.normalize.empty(), "unknown normalization '", options.normalize,
              "' (imagenet, none)");
  }
  t.config.model = path;
  if (const auto d = meta.find("cnn.data"); d != meta.end())
    t.config.data = d->second;
  else
    t.config.data.clear();
  io::check_finite(model->state_dict(), path);  // a model with non-finite weights cannot predict
  model->eval();
  t.model = model;
  return t;
}

}  // namespace

TrainedModel load_trained_model(const std::string& path, const ModelFileOptions& options) {
  if (is_onnx_model(path) && !fs::is_directory(path)) return load_onnx_file(path, options);
  std::string file = path;
  if (fs::is_directory(path)) {
    file = fs::exists(best_checkpoint_path(path)) ? best_checkpoint_path(path)
                                                  : latest_checkpoint_path(path);
    CNN_CHECK(fs::exists(file), path,
              ": a run folder without checkpoint-best.ckpt or checkpoint-latest.ckpt");
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
    // a trainer's checkpoint records its position; a checkpoint of a model alone has none
    t.epochs_done = state.contains("epoch") ? state.at("epoch").get<int64_t>() : 0;
  } catch (const nlohmann::json::exception& e) {
    fail(file, ": the checkpoint's state is incomplete: ", e.what());
  }
  check_image_shape(t.input_shape, file + ": the checkpoint's input_shape");
  check_classes_and_normalization(t, file);
  Generator gen(t.config.seed);
  nn::SkipInitGuard skip;                                // every weight comes from the checkpoint
  t.config.out = fs::path(file).parent_path().string();  // where an ONNX run keeps model.onnx
  t.model = build_model(t.config, static_cast<int64_t>(t.classes.size()), t.input_shape, gen).model;
  t.model->load_state_dict(with_prefix_removed(c.tensors, "model"));
  t.model->eval();
  return t;
}

}  // namespace cnn::train
