#include "cnn/train/config.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "cnn/error.h"

namespace cnn::train {
namespace {

using nlohmann::json;

// One table drives both directions, so a field cannot be written and forgotten on reading.
template <class F>
void for_each_field(TrainConfig& c, F&& f) {
  f("model", c.model);
  f("data", c.data);
  f("epochs", c.epochs);
  f("batch_size", c.batch_size);
  f("optimizer", c.optimizer);
  f("lr", c.lr);
  f("momentum", c.momentum);
  f("weight_decay", c.weight_decay);
  f("schedule", c.schedule);
  f("warmup_epochs", c.warmup_epochs);
  f("label_smoothing", c.label_smoothing);
  f("resize", c.resize);
  f("crop_padding", c.crop_padding);
  f("flip", c.flip);
  f("erasing", c.erasing);
  f("seed", c.seed);
  f("threads", c.threads);
  f("train_limit", c.train_limit);
  f("test_limit", c.test_limit);
  f("num_classes", c.num_classes);
  f("out", c.out);
}

}  // namespace

std::string TrainConfig::to_json() const {
  json j;
  TrainConfig copy = *this;
  for_each_field(copy, [&](const char* key, auto& value) { j[key] = value; });
  return j.dump(2);
}

TrainConfig TrainConfig::from_json(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(source, ": not valid JSON: ", e.what());
  }
  CNN_CHECK(j.is_object(), source, ": expected a JSON object");
  TrainConfig c;
  // A field missing keeps its default, so runs written before the field existed still load;
  // a field this version does not know is an error (a typo would otherwise pass silently).
  std::vector<std::string> known;
  for_each_field(c, [&](const char* key, auto&) { known.emplace_back(key); });
  for (const auto& [key, value] : j.items())
    CNN_CHECK(std::find(known.begin(), known.end(), key) != known.end(), source,
              ": unknown field '", key, "'");
  for_each_field(c, [&](const char* key, auto& value) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(value);
    } catch (const json::exception&) {
      fail(source, ": field '", key, "' has the wrong type (", j.at(key).dump(), ")");
    }
  });
  return c;
}

void TrainConfig::validate() const {
  CNN_CHECK(epochs >= 1, "epochs must be at least 1, got ", epochs);
  CNN_CHECK(batch_size >= 1, "batch_size must be at least 1, got ", batch_size);
  CNN_CHECK(optimizer == "sgd" || optimizer == "adam" || optimizer == "adamw",
            "unknown optimizer '", optimizer, "' (sgd, adam, adamw)");
  CNN_CHECK(lr > 0.0, "lr must be positive, got ", lr);
  CNN_CHECK(momentum >= 0.0 && momentum < 1.0, "momentum must be in [0, 1), got ", momentum);
  CNN_CHECK(weight_decay >= 0.0, "weight_decay must not be negative, got ", weight_decay);
  CNN_CHECK(warmup_epochs >= 0 && warmup_epochs < epochs,
            "warmup_epochs must be in [0, epochs), got ", warmup_epochs);
  CNN_CHECK(label_smoothing >= 0.0 && label_smoothing < 1.0,
            "label_smoothing must be in [0, 1), got ", label_smoothing);
  CNN_CHECK(resize >= 0, "resize must not be negative, got ", resize);
  CNN_CHECK(crop_padding >= 0, "crop_padding must not be negative, got ", crop_padding);
  CNN_CHECK(erasing >= 0.0 && erasing <= 1.0, "erasing must be a probability, got ", erasing);
  CNN_CHECK(threads >= 0 && train_limit >= 0 && test_limit >= 0 && num_classes >= 0,
            "threads, train_limit, test_limit and num_classes must not be negative");
  CNN_CHECK(!out.empty(), "the run folder (out) is not set");
}

}  // namespace cnn::train
