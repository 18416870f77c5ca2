#include "cnn/train/checkpoint.h"

#include <zlib.h>

#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "cnn/error.h"
#include "cnn/io/weights.h"

namespace cnn::train {
namespace {

constexpr const char* kFormat = "cnn-checkpoint";
constexpr const char* kVersion = "1";

// CRC-32 over every tensor's name, shape and bytes (in key order) and the state text.
std::string checksum(const nn::StateDict& tensors, const std::string& state) {
  uLong crc = crc32(0L, Z_NULL, 0);
  auto feed = [&](const void* data, size_t bytes) {
    const auto* p = static_cast<const Bytef*>(data);
    while (bytes > 0) {
      const uInt chunk = static_cast<uInt>(std::min<size_t>(bytes, 1u << 30));
      crc = crc32(crc, p, chunk);
      p += chunk;
      bytes -= chunk;
    }
  };
  std::map<std::string, const Tensor*> by_name;  // key order, as the file stores them
  for (const auto& [name, t] : tensors) by_name.emplace(name, &t);
  for (const auto& [name, tensor] : by_name) {
    const Tensor& t = *tensor;
    feed(name.data(), name.size());
    feed(t.shape().data(), t.shape().size() * sizeof(int64_t));
    const Tensor c = t.contiguous();
    const size_t bytes = static_cast<size_t>(c.numel()) * dtype_size(c.dtype());
    feed(c.dtype() == DType::f32 ? static_cast<const void*>(c.data()) : c.data_i64(), bytes);
  }
  feed(state.data(), state.size());
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc));
  return hex;
}

// What a checkpoint may hold: the trainer's state (src/train/trainer.cpp, describe_model in
// src/train/run_setup.cpp) field by field, and its tensors, each in its range.
class StateChecker {
 public:
  StateChecker(const std::string& path, const nlohmann::json& state) : path_(path), state_(state) {}

  void check() {
    CNN_CHECK(field(state_, "config").is_object(), path_,
              ": checkpoint field 'config' is not an object");
    const nlohmann::json& classes = field(state_, "classes");
    CNN_CHECK(classes.is_array() && !classes.empty() &&
                  classes.size() <= static_cast<size_t>(limits::kMaxClasses),
              path_, ": checkpoint field 'classes' must list 1 to ", limits::kMaxClasses,
              " class names (limits::kMaxClasses)");
    for (const nlohmann::json& c : classes)
      CNN_CHECK(c.is_string(), path_, ": checkpoint field 'classes' holds ", c.dump(),
                ", not a name");
    const nlohmann::json& shape = field(state_, "input_shape");
    CNN_CHECK(shape.is_array() && shape.size() == 3, path_,
              ": checkpoint field 'input_shape' must be [height, width, channels]");
    Shape hwc;
    for (size_t d = 0; d < 3; ++d)
      hwc.push_back(integer(shape[d], detail::concat("input_shape[", d, "]"), 1,
                            limits::kMaxImageSide * limits::kMaxImageChannels));
    check_image_shape(hwc, path_ + ": checkpoint field 'input_shape'");
    const nlohmann::json& normalization = field(state_, "normalization");
    for (const char* key : {"mean", "std"}) {
      const nlohmann::json& values = field(normalization, key, "normalization.");
      CNN_CHECK(values.is_array() && values.size() == shape[2].get<size_t>(), path_,
                ": checkpoint field 'normalization.", key, "' must hold one number per channel (",
                shape[2].get<int64_t>(), ")");
      const bool is_std = std::string(key) == "std";
      for (size_t c = 0; c < values.size(); ++c)
        number(values[c], detail::concat("normalization.", key, "[", c, "]"),
               is_std ? std::numeric_limits<double>::min() : -kLargestFloat, kLargestFloat);
    }
    // The run's position: what a trainer's checkpoint holds and --resume needs (it refuses a
    // checkpoint without it). A checkpoint of a model alone (eval, predict, export) has none.
    if (state_.contains("epoch")) check_position();
  }

 private:
  void check_position() const {
    const int64_t epoch = integer(field(state_, "epoch"), "epoch", 0, limits::kMaxEpochs);
    const int64_t batch = integer(field(state_, "batch"), "batch", 0, limits::kMaxTotalSteps);
    const nlohmann::json& partial = field(state_, "partial");
    number(field(partial, "loss_sum", "partial."), "partial.loss_sum", 0, kLargestDouble);
    number(field(partial, "seconds", "partial."), "partial.seconds", 0, kLargestDouble);
    const int64_t seen =
        integer(field(partial, "seen", "partial."), "partial.seen", 0, kMaxCheckpointSamples);
    integer(field(partial, "correct", "partial."), "partial.correct", 0, seen);
    CNN_CHECK((batch == 0) == (seen == 0), path_, ": checkpoint fields 'batch' (", batch,
              ") and 'partial.seen' (", seen,
              ") disagree: samples are seen exactly when a batch "
              "of the epoch is done");
    check_history(field(state_, "history"), epoch);
    const nlohmann::json& best = field(state_, "best_accuracy");
    CNN_CHECK(best.is_number() && (best.get<double>() == -1.0 ||
                                   (best.get<double>() >= 0.0 && best.get<double>() <= 1.0)),
              path_, ": checkpoint field 'best_accuracy' is ", best.dump(),
              ", neither -1 (no epoch yet) nor in [0, 1]");
    integer(field(state_, "threads"), "threads", 1, limits::kMaxThreads);
  }

  static constexpr double kLargestDouble = std::numeric_limits<double>::max();
  static constexpr double kLargestFloat = std::numeric_limits<float>::max();

  const nlohmann::json& field(const nlohmann::json& object, const char* name,
                              const char* prefix = "") const {
    CNN_CHECK(object.is_object() && object.contains(name), path_,
              ": the checkpoint's state has no field '", prefix, name, "'");
    return object.at(name);
  }
  int64_t integer(const nlohmann::json& v, const std::string& name, int64_t lo, int64_t hi) const {
    const bool fits = v.is_number_unsigned() ? v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)
                                             : v.is_number_integer();
    const int64_t value = fits ? v.get<int64_t>() : 0;
    CNN_CHECK(fits && value >= lo && value <= hi, path_, ": checkpoint field '", name, "' is ",
              v.dump(), ", not an integer in [", lo, ", ", hi, "]");
    return value;
  }
  // A number in [lo, hi]; null (a value that was not finite when written) when allowed.
  void number(const nlohmann::json& v, const std::string& name, double lo, double hi,
              bool null_allowed = false) const {
    if (null_allowed && v.is_null()) return;
    CNN_CHECK(v.is_number() && v.get<double>() >= lo && v.get<double>() <= hi, path_,
              ": checkpoint field '", name, "' is ", v.dump(), ", not a number in [", lo, ", ", hi,
              "]", null_allowed ? " or null" : "");
  }
  // [epoch, train_loss, train_accuracy, test_loss, test_accuracy, seconds, images_per_second,
  // lr] per epoch done (trainer.cpp's history_to_json).
  void check_history(const nlohmann::json& rows, int64_t epochs) const {
    CNN_CHECK(rows.is_array() && rows.size() == static_cast<size_t>(epochs), path_,
              ": checkpoint field 'history' must hold one row per epoch done (", epochs, ")");
    for (size_t r = 0; r < rows.size(); ++r) {
      const nlohmann::json& row = rows[r];
      const std::string name = detail::concat("history[", r, "]");
      CNN_CHECK(row.is_array() && row.size() == 8, path_, ": checkpoint field '", name,
                "' is not a row of 8 metrics");
      integer(row[0], name + "[0] (epoch)", static_cast<int64_t>(r) + 1,
              static_cast<int64_t>(r) + 1);
      static constexpr const char* kNames[] = {"",
                                               "train_loss",
                                               "train_accuracy",
                                               "test_loss",
                                               "test_accuracy",
                                               "seconds",
                                               "images_per_second",
                                               "lr"};
      for (size_t k = 1; k < 8; ++k) {
        const bool accuracy = k == 2 || k == 4;
        number(row[k], detail::concat(name, "[", k, "] (", kNames[k], ")"), 0,
               accuracy ? 1.0 : kLargestDouble, /*null_allowed=*/true);
      }
    }
  }

  const std::string& path_;
  const nlohmann::json& state_;
};

void check_tensors(const std::string& path, const nn::StateDict& tensors) {
  io::check_finite(tensors, path);
  for (const auto& [name, t] : tensors) {
    const bool counter = name.rfind("optimizer.", 0) == 0 || name.rfind("scheduler.", 0) == 0;
    if (counter && t.dtype() == DType::i64) {
      const std::vector<int64_t> values = t.to_vector_i64();
      for (int64_t v : values)
        CNN_CHECK(v >= 0 && v <= limits::kMaxTotalSteps, path, ": checkpoint tensor '", name,
                  "' holds ", v, ", outside [0, ", limits::kMaxTotalSteps,
                  "] (limits::kMaxTotalSteps)");
    }
    if (name.rfind("rng.", 0) == 0) {
      CNN_CHECK(t.dtype() == DType::i64 && t.shape() == Shape{4}, path, ": checkpoint tensor '",
                name, "' is ", to_string(t.shape()), " ", dtype_name(t.dtype()),
                ", not a random-generator state of 4 int64 words");
      const std::vector<int64_t> words = t.to_vector_i64();
      CNN_CHECK(words != std::vector<int64_t>(4, 0), path, ": checkpoint tensor '", name,
                "' is the all-zero random-generator state, which xoshiro256** never leaves");
    }
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  io::save_safetensors(path, checkpoint.tensors,
                       {{"format", kFormat},
                        {"version", kVersion},
                        {"state", checkpoint.state},
                        {"crc32", checksum(checkpoint.tensors, checkpoint.state)}});
}

Checkpoint load_checkpoint(const std::string& path) {
  io::Metadata meta;
  Checkpoint c;
  c.tensors = io::load_safetensors(path, &meta);
  CNN_CHECK(meta["format"] == kFormat, path, ": not a cnn checkpoint (format '",
            meta["format"].substr(0, 40), "'; expected '", kFormat, "')");
  CNN_CHECK(meta["version"] == kVersion, path, ": checkpoint version '",
            meta["version"].substr(0, 40), "' is not supported (this build reads version ",
            kVersion, ")");
  c.state = meta["state"];
  const std::string computed = checksum(c.tensors, c.state);
  CNN_CHECK(computed == meta["crc32"], path, ": checksum mismatch (stored ",
            meta["crc32"].substr(0, 40), ", computed ", computed, "): the file is corrupt");
  // A checksum proves the file is as written, not that what was written is sane: a checkpoint
  // edited and re-summed, or written by a faulty build, is checked field by field.
  const nlohmann::json state = nlohmann::json::parse(c.state, nullptr, /*allow_exceptions=*/false);
  CNN_CHECK(state.is_object(), path, ": the checkpoint's state is not a JSON object");
  StateChecker(path, state).check();
  check_tensors(path, c.tensors);
  return c;
}

nn::StateDict with_prefix_removed(const nn::StateDict& tensors, const std::string& prefix) {
  nn::StateDict out;
  const std::string p = prefix + ".";
  for (const auto& [name, t] : tensors)
    if (name.compare(0, p.size(), p) == 0) out.insert(name.substr(p.size()), t);
  return out;
}

void add_with_prefix(nn::StateDict& into, const nn::StateDict& part, const std::string& prefix) {
  for (const auto& [name, t] : part) into.insert(prefix + "." + name, t);
}

}  // namespace cnn::train
