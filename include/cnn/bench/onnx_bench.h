/// \file
/// `cnn bench --onnx FILE`: an imported ONNX model timed beside cnn's own builder of the same
/// architecture (so that every speed-up of the engine is seen to reach imported models) and
/// beside ONNX Runtime on the same file (bench/ort/ort_run.js, graph optimizations on, the same
/// thread count), measured in the same run, batch by batch. The imported model and the builder
/// are timed in three alternating rounds and each keeps its best median.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/bench/timing.h"
#include "cnn/shape.h"

namespace cnn::bench {

struct OnnxBenchOptions {
  std::string file;
  std::vector<int64_t> batches{1};
  Shape image;          ///< [H, W, C]; empty: the model's declared input
  std::string builder;  ///< a zoo model of the same architecture; "" for none
  int threads = 1;
  bool ort = true;
  std::string node = "node";
  std::string ort_script;  ///< bench/ort/ort_run.js
  bool quick = false;
};

struct OnnxBenchRow {
  int64_t batch = 0;
  Timing imported, builder, ort;  ///< reps = 0 where not measured
  std::string ort_error;          ///< why ONNX Runtime gave no figure
};

std::vector<OnnxBenchRow> run_onnx_bench(const OnnxBenchOptions& options);

/// A table: batch, milliseconds of each engine (medians), imported / builder and
/// imported / ONNX Runtime.
std::string format_onnx_bench(const OnnxBenchOptions& options,
                              const std::vector<OnnxBenchRow>& rows);

}  // namespace cnn::bench
