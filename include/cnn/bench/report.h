/// \file
/// `cnn bench` as a library call: measure what the options select, ours, PyTorch's and (for
/// model inference) ONNX Runtime's, and format the result as aligned text tables or as JSON
/// with the same content.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cnn/bench/cases.h"
#include "cnn/bench/measure.h"
#include "cnn/bench/ort_reference.h"
#include "cnn/bench/timing.h"
#include "cnn/bench/torch_reference.h"

namespace cnn::bench {

struct BenchOptions {
  int threads = 1;                                 ///< for our kernels, PyTorch, ONNX Runtime
  bool quick = false;                              ///< BenchPolicies::quick() instead of standard()
  bool gemm = true, layers = true, models = true;  ///< the sections to run
  bool torch = true;                               ///< false: our figures alone
  TorchRunner torch_runner;
  /// false: no ONNX Runtime figures. The models are exported with torch_runner.python (so
  /// ONNX Runtime needs PyTorch installed, but not PyTorch's figures).
  bool ort = true;
  OrtRunner ort_runner;  ///< its python is ignored: torch_runner.python exports
  /// The case lists (tests/cases): conv2d.json names the zoo layers the layer section times.
  std::string cases_dir;
  /// Told what is being measured as the run goes on (one short line per step); may be empty.
  std::function<void(const std::string&)> progress;
};

struct Machine {
  std::string cpu;  ///< "model name" of /proc/cpuinfo
  int hardware_threads = 0;
  int threads = 0;       ///< used by ours, PyTorch and ONNX Runtime
  std::string date;      ///< local time, "2026-11-20 14:03:07 +0100"
  std::string gemm_isa;  ///< the GEMM microkernel in use
  /// 1-minute load averages when the run started and when it ended (-1: unknown): other
  /// processes competing for the cores make every figure, PyTorch's most, unreliable.
  double load_average_start = -1, load_average_end = -1;
};

struct TorchStatus {
  bool requested = false;
  bool measured = false;  ///< at least one section has PyTorch's figures
  std::string version;
  std::string python;
  std::vector<std::string> notes;  ///< why a section has no PyTorch figures
};

struct OrtStatus {
  bool requested = false;
  bool measured = false;  ///< at least one model has ONNX Runtime's figure
  std::string version;    ///< onnxruntime-node's
  std::string node;       ///< the Node.js program
  std::string node_version;
  std::string exporter;            ///< "torch 1.13.0 torch.onnx.export, opset 17"
  int rounds = 0;                  ///< separate measurements of each model, the best median kept
  std::vector<std::string> notes;  ///< why a model or all have no ONNX Runtime figure
};

struct GemmRow {
  GemmCase gemm;
  Timing ours;
  std::optional<TorchFigure> torch;
};

struct LayerRow {
  ConvCase layer;
  LayerTiming ours;
  std::optional<TorchLayerFigures> torch;
};

/// ONNX Runtime on torch.onnx.export's file of the same architecture, measured in separate
/// rounds (each a fresh process and session) of which the best median counts.
struct OrtModelFigure {
  Timing timing;             ///< the round with the lowest median
  std::vector<Timing> runs;  ///< every round, in order
  int64_t parameters = 0;    ///< of the exported PyTorch model, to compare with ours
};

struct ModelRow {
  ModelCase model;
  ModelTiming ours;
  std::optional<TorchModelFigure> torch;
  std::optional<OrtModelFigure> ort;  ///< inference rows only
};

struct Report {
  Machine machine;
  bool quick = false;
  BenchPolicies policies;
  TorchStatus torch;
  OrtStatus ort;
  FmaPeak peak_one_thread, peak_all_threads;  ///< all threads = machine.threads
  bool has_gemm = false, has_layers = false, has_models = false;
  std::vector<GemmRow> gemm;
  std::vector<LayerRow> layers;
  std::vector<ModelRow> models;

  /// The peak measured on `threads` threads (one, or all).
  const FmaPeak& peak_for(int threads) const {
    return threads == 1 ? peak_one_thread : peak_all_threads;
  }
};

/// Runs the selected sections: for each, ours first, then PyTorch's in one subprocess; in the
/// models section then ONNX Runtime's. The absence of PyTorch or ONNX Runtime is recorded in
/// report.torch.notes or report.ort.notes, not raised.
Report run_benchmarks(const BenchOptions& options);

/// The tables, with the machine, date and units at the top.
std::string format_text(const Report& report);
/// The same content as one JSON object (documented in docs/PERFORMANCE.md).
std::string format_json(const Report& report);

}  // namespace cnn::bench
