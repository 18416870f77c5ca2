// The derived figures both report formats print, computed one way.
#pragma once

#include "cnn/bench/report.h"

namespace cnn::bench {

inline double gflops(double flops, double seconds) {
  return flops / seconds / 1e9;
}
inline double percent_of(double value, double whole) {
  return 100.0 * value / whole;
}

// A model case's figure from the seconds of one run: images per second for training (higher
// is better), seconds per image batch for inference (lower is better).
inline bool model_metric_is_throughput(const ModelCase& m) {
  return m.mode == ModelMode::train;
}
inline double model_metric(const ModelCase& m, double seconds) {
  return model_metric_is_throughput(m) ? static_cast<double>(m.batch) / seconds : seconds;
}

}  // namespace cnn::bench
