// What the lab's experiments share: their entry points, the folder they write, real batches of
// the data set, and number formatting for CSV files and verdicts.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cnn/lab/lab.h"
#include "cnn/plot/plots.h"
#include "cnn/tensor.h"

namespace cnn::lab::detail {

// NOLINTNEXTLINE(bugprone-exception-escape): the implicit moves of nlohmann::json do not throw
struct ExperimentOutput {
  ExperimentResult result;
  nlohmann::json measurements;  // result.json's "measurements": what the tests read
};

// Each runs one experiment, writing its CSV files and pictures into `folder` (which exists and
// is empty); the caller writes result.json, verdict.txt and the report.
ExperimentOutput run_gradients(const LabOptions& options, const std::string& folder);
ExperimentOutput run_activations(const LabOptions& options, const std::string& folder);
ExperimentOutput run_depth(const LabOptions& options, const std::string& folder);
ExperimentOutput run_batchnorm(const LabOptions& options, const std::string& folder);
ExperimentOutput run_gates(const LabOptions& options, const std::string& folder);

// `value` unless the option was left at 0, then the quick or the full default.
int64_t pick(int64_t value, bool quick, int64_t quick_default, int64_t full_default);

// `count` training images drawn at random (from `seed`) out of the first `pool` of the data set
// in `data`, normalized by the mean and deviation of that pool: x [count, H, W, C], y [count].
struct RealBatch {
  Tensor x, y;
  std::vector<std::string> classes;
};
RealBatch real_batch(const std::string& data, int64_t count, int64_t pool, uint64_t seed);

// folder/file, written atomically.
void write_file(const std::string& folder, const std::string& file, const std::string& text);

// Three significant digits ("0.0123", "3.1e-30"); "nan", "inf", "-inf" for the others.
std::string num(double v);
// A JSON number, or null where JSON has none (NaN, infinities).
nlohmann::json json_number(double v);

// Statistics of every element of a float tensor, in double.
struct Moments {
  double mean = 0.0, variance = 0.0;
};
Moments moments(const Tensor& t);

// Root mean square of the elements: ||t|| / sqrt(numel).
double rms(const Tensor& t);

// The picture folder/file drawn with plot_lines, recorded in `pictures` with its caption.
void plot(const std::string& folder, const std::string& file, const std::string& caption,
          const std::string& title, const std::string& x_label, const std::string& y_label,
          const std::vector<plot::Series>& series, const plot::PlotOptions& options,
          std::vector<Picture>& pictures);

}  // namespace cnn::lab::detail
