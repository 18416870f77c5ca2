#include "lab/experiment.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cnn/data/transforms.h"
#include "cnn/error.h"
#include "cnn/generator.h"
#include "cnn/train/data_source.h"
#include "io/atomic_file.h"

namespace cnn::lab::detail {

int64_t pick(int64_t value, bool quick, int64_t quick_default, int64_t full_default) {
  if (value > 0) return value;
  return quick ? quick_default : full_default;
}

RealBatch real_batch(const std::string& data, int64_t count, int64_t pool, uint64_t seed) {
  const train::TrainingData d = train::open_training_data(data, pool, 1);
  const int64_t available = d.train->size();
  CNN_CHECK(count <= available, "lab: a batch of ", count, " images asked for, but ", data, " has ",
            available, " training images");
  const train::ChannelStats stats = train::channel_stats(*d.train, available);
  const data::Normalize normalize(stats.mean, stats.stddev);
  // A partial Fisher-Yates shuffle: the first `count` of a random order.
  std::vector<int64_t> order(static_cast<size_t>(available));
  for (int64_t i = 0; i < available; ++i) order[static_cast<size_t>(i)] = i;
  Generator gen(seed);
  for (int64_t i = 0; i < count; ++i) {
    const auto j = i + static_cast<int64_t>(gen.below(static_cast<uint64_t>(available - i)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  const Shape& s = d.image_shape;
  RealBatch b;
  b.x = Tensor::empty({count, s[0], s[1], s[2]});
  std::vector<int64_t> labels;
  const int64_t per_image = s[0] * s[1] * s[2];
  Generator unused(0);  // Normalize draws nothing
  for (int64_t i = 0; i < count; ++i) {
    data::Example e = d.train->get(order[static_cast<size_t>(i)]);
    normalize.apply(e.image, unused);
    const Tensor image = e.image.contiguous();
    std::copy(image.data(), image.data() + per_image, b.x.data() + i * per_image);
    labels.push_back(e.label);
  }
  b.y = Tensor::from_data_i64({count}, labels);
  b.classes = d.classes;
  return b;
}

void write_file(const std::string& folder, const std::string& file, const std::string& text) {
  io::write_file_atomically((std::filesystem::path(folder) / file).string(), text);
}

std::string num(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", v);
  return text;
}

nlohmann::json json_number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

Moments moments(const Tensor& t) {
  const Tensor c = t.contiguous();
  const float* p = c.data();
  const int64_t n = c.numel();
  CNN_CHECK(n > 0, "lab::moments: the tensor is empty");
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += p[i];
  const double mean = sum / static_cast<double>(n);
  double sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sq += (p[i] - mean) * (p[i] - mean);
  return {mean, sq / static_cast<double>(n)};
}

double rms(const Tensor& t) {
  const Tensor c = t.contiguous();
  const float* p = c.data();
  double sq = 0.0;
  for (int64_t i = 0; i < c.numel(); ++i) sq += static_cast<double>(p[i]) * p[i];
  return std::sqrt(sq / static_cast<double>(std::max<int64_t>(1, c.numel())));
}

void plot(const std::string& folder, const std::string& file, const std::string& caption,
          const std::string& title, const std::string& x_label, const std::string& y_label,
          const std::vector<plot::Series>& series, const plot::PlotOptions& options,
          std::vector<Picture>& pictures) {
  plot::plot_lines((std::filesystem::path(folder) / file).string(), title, x_label, y_label, series,
                   options);
  pictures.push_back({file, caption});
}

}  // namespace cnn::lab::detail
