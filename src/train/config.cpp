#include "cnn/train/config.h"

#include <algorithm>
#include <cmath>
#include <limits>
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
  f("sync_bn", c.sync_bn);
  f("out", c.out);
}

// Reads a field as its C++ type exactly: nlohmann's get_to would truncate 1.5 to an integer,
// wrap -1 into an unsigned seed and accept 1 for a flag.
bool read_exact(const json& v, std::string& out) {
  if (!v.is_string()) return false;
  out = v.get<std::string>();
  return true;
}
bool read_exact(const json& v, bool& out) {
  if (!v.is_boolean()) return false;
  out = v.get<bool>();
  return true;
}
bool read_exact(const json& v, int64_t& out) {
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() &&
       v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
    return false;
  out = v.get<int64_t>();
  return true;
}
bool read_exact(const json& v, uint64_t& out) {
  if (!v.is_number_unsigned()) return false;  // a negative integer is not unsigned
  out = v.get<uint64_t>();
  return true;
}
bool read_exact(const json& v, double& out) {
  if (!v.is_number()) return false;
  out = v.get<double>();
  return true;
}

// A learning rate or decay as the optimizers hold it: in float, where 1e-60 is 0 and 1e60 inf.
bool fits_float(double v) {
  const auto f = static_cast<float>(v);
  return std::isfinite(f) && (v == 0.0 || f != 0.0f);
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
    if (!read_exact(j.at(key), value))
      fail(source, ": field '", key, "' has the wrong type (", j.at(key).dump(), ")");
  });
  return c;
}

void TrainConfig::validate() const {
  using namespace limits;
  CNN_CHECK(epochs >= 1 && epochs <= kMaxEpochs, "epochs must be in [1, ", kMaxEpochs, "], got ",
            epochs);
  CNN_CHECK(batch_size >= 1 && batch_size <= kMaxBatchSize, "batch_size must be in [1, ",
            kMaxBatchSize, "], got ", batch_size);
  CNN_CHECK(optimizer == "sgd" || optimizer == "adam" || optimizer == "adamw",
            "unknown optimizer '", optimizer, "' (sgd, adam, adamw)");
  CNN_CHECK(lr > 0.0 && std::isfinite(lr), "lr must be a positive number, got ", lr);
  CNN_CHECK(fits_float(lr), "lr ", lr,
            " is not representable in float (the optimizers' type): ", "it must be in [",
            std::numeric_limits<float>::denorm_min(), ", ", std::numeric_limits<float>::max(), "]");
  CNN_CHECK(momentum >= 0.0 && momentum < 1.0, "momentum must be in [0, 1), got ", momentum);
  CNN_CHECK(weight_decay >= 0.0 && std::isfinite(weight_decay),
            "weight_decay must be zero or a positive number, got ", weight_decay);
  CNN_CHECK(fits_float(weight_decay), "weight_decay ", weight_decay,
            " is not representable in float (the optimizers' type)");
  CNN_CHECK(warmup_epochs >= 0 && warmup_epochs < epochs,
            "warmup_epochs must be in [0, epochs), got ", warmup_epochs);
  CNN_CHECK(label_smoothing >= 0.0 && label_smoothing < 1.0,
            "label_smoothing must be in [0, 1), got ", label_smoothing);
  CNN_CHECK(resize >= 0 && resize <= kMaxImageSide, "resize must be in [0, ", kMaxImageSide,
            "] pixels, got ", resize);
  CNN_CHECK(crop_padding >= 0 && crop_padding <= kMaxImageSide, "crop_padding must be in [0, ",
            kMaxImageSide, "] pixels, got ", crop_padding);
  CNN_CHECK(erasing >= 0.0 && erasing <= 1.0, "erasing must be a probability, got ", erasing);
  CNN_CHECK(threads >= 0 && threads <= kMaxThreads, "threads must be in [0, ", kMaxThreads,
            "] (0: every core), got ", threads);
  CNN_CHECK(train_limit >= 0, "train_limit must not be negative, got ", train_limit);
  CNN_CHECK(test_limit >= 0, "test_limit must not be negative, got ", test_limit);
  CNN_CHECK(num_classes >= 0 && num_classes <= kMaxClasses, "num_classes must be in [0, ",
            kMaxClasses, "], got ", num_classes);
  CNN_CHECK(!out.empty(), "the run folder (out) is not set");
}

void check_image_shape(const Shape& hwc, const std::string& what) {
  using namespace limits;
  CNN_CHECK(hwc.size() == 3, what, ": an image shape is [rows, columns, channels], got ",
            to_string(hwc));
  for (int d = 0; d < 3; ++d) {
    const int64_t limit = d == 2 ? kMaxImageChannels : kMaxImageSide;
    CNN_CHECK(hwc[d] >= 1 && hwc[d] <= limit, what, ": ",
              d == 0   ? "rows"
              : d == 1 ? "columns"
                       : "channels",
              " ", hwc[d], " of image shape ", to_string(hwc), " are outside [1, ", limit, "]");
  }
  CNN_CHECK(hwc[0] * hwc[1] * hwc[2] <= kMaxImageElements, what, ": image shape ", to_string(hwc),
            " has ", hwc[0] * hwc[1] * hwc[2], " elements, over the limit of ", kMaxImageElements);
}

void TrainConfig::validate_steps(int64_t steps_per_epoch) const {
  CNN_CHECK(steps_per_epoch >= 1, "an epoch of ", steps_per_epoch, " steps (no training images?)");
  int64_t total = 0;
  CNN_CHECK(
      !__builtin_mul_overflow(epochs, steps_per_epoch, &total) && total <= limits::kMaxTotalSteps,
      "epochs x steps per epoch = ", epochs, " x ", steps_per_epoch, " is over the limit of ",
      limits::kMaxTotalSteps, " steps");
}

}  // namespace cnn::train
