/// \file
/// ONNX Runtime's side of `cnn bench`: bench/export_onnx.py (Debian's python3-torch) writes
/// torchvision's model of each architecture as an ONNX file, and bench/ort/ort_run.js (Node.js
/// with the npm package onnxruntime-node, graph optimizations 'all') times it on random input,
/// under the same repetition rule as ours (include/cnn/bench/timing.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/bench/timing.h"
#include "cnn/error.h"
#include "cnn/shape.h"

namespace cnn::bench {

struct OrtRunner {
  std::string node = "node";  ///< the Node.js program
  std::string script;         ///< bench/ort/ort_run.js
  std::string python = "/usr/bin/python3";
  std::string export_script;  ///< bench/export_onnx.py
};

/// Raised by the functions below. `unavailable` is set when ONNX Runtime cannot be used at all
/// (node does not start, onnxruntime-node cannot be loaded, torch cannot export), so further
/// attempts would fail the same way.
class OrtError : public Error {
 public:
  OrtError(const std::string& message, bool unavailable)
      : Error(message), unavailable_(unavailable) {}
  bool unavailable() const { return unavailable_; }

 private:
  bool unavailable_;
};

struct OrtVersions {
  std::string ort;   ///< onnxruntime-node's version, "1.30.0"
  std::string node;  ///< Node.js's, "v20.20.2"
};
/// `ort_run.js version`: whether node runs and loads onnxruntime-node.
OrtVersions ort_versions(const OrtRunner& runner);

struct ExportedModel {
  std::string model;  ///< the zoo name
  std::string file;   ///< the .onnx file
  int64_t parameters = 0;
};
struct OnnxExport {
  std::string torch_version;
  int opset = 0;
  std::vector<ExportedModel> models;  ///< in the order asked
};
/// Exports each of `models` (at `image` = [H, W, C], `classes` outputs; batch dynamic, opset
/// `opset`, eval mode, random weights) into the existing folder `dir` as MODEL.onnx.
OnnxExport export_onnx_models(const OrtRunner& runner, const std::vector<std::string>& models,
                              const Shape& image, int64_t classes, int opset,
                              const std::string& dir);

/// ONNX Runtime's median and minimum of session.run on `file` with a random input of `nchw`,
/// on `threads` intra-op threads, under `policy`.
Timing time_ort(const OrtRunner& runner, const std::string& file, const Shape& nchw, int threads,
                const TimingPolicy& policy);

/// A folder made under the system's temporary folder ("cnn-bench-onnx-XXXXXX") and removed,
/// with what it holds, when this goes out of scope.
class TemporaryFolder {
 public:
  TemporaryFolder();
  ~TemporaryFolder();
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cnn::bench
