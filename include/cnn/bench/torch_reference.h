/// \file
/// PyTorch's side of `cnn bench`: bench/torch_bench.py, run as a subprocess with the cases and
/// the timing policy as JSON on its standard input, measures the same work and answers with
/// JSON on its standard output. Each case is timed in NCHW and in channels_last; the faster
/// layout's figure is kept, and both are reported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/bench/cases.h"
#include "cnn/bench/timing.h"
#include "cnn/error.h"

namespace cnn::bench {

struct TorchFigure {
  Timing timing;       ///< of the faster layout
  std::string layout;  ///< "nchw" or "channels_last"; "row-major" for the GEMM
  double nchw_seconds = 0, channels_last_seconds = 0;  ///< the median of each (0: not measured)
};

struct TorchLayerFigures {
  TorchFigure forward, forward_backward;
};

struct TorchModelFigure {
  TorchFigure figure;
  int64_t parameters = 0;  ///< of PyTorch's model, to compare with ours
};

/// What to measure; the script measures each list in order, one entry per case.
struct TorchSpec {
  int threads = 1;  ///< torch.set_num_threads (the GEMM cases set their own)
  BenchPolicies policies;
  std::vector<GemmCase> gemm;
  std::vector<ConvCase> layers;
  std::vector<ModelCase> models;
};

struct TorchResults {
  std::string version;  ///< torch.__version__
  std::vector<TorchFigure> gemm;
  std::vector<TorchLayerFigures> layers;
  std::vector<TorchModelFigure> models;
};

struct TorchRunner {
  std::string python = "/usr/bin/python3";
  std::string script;  ///< bench/torch_bench.py
};

/// Raised by run_torch. `unavailable` is set when PyTorch cannot be used at all (the python
/// program does not start, or cannot import torch), so further runs would fail the same way.
class TorchError : public Error {
 public:
  TorchError(const std::string& message, bool unavailable)
      : Error(message), unavailable_(unavailable) {}
  bool unavailable() const { return unavailable_; }

 private:
  bool unavailable_;
};

/// Runs the script on `spec` and returns its figures, one per case of each list. The script's
/// standard error passes through to ours. Raises TorchError when python cannot be started,
/// torch cannot be imported, the script fails, or its output is not the expected JSON.
TorchResults run_torch(const TorchRunner& runner, const TorchSpec& spec);

}  // namespace cnn::bench
