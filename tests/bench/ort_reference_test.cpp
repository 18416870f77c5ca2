// ONNX Runtime's side of `cnn bench` on a small case in the --quick policy (a few seconds):
// bench/export_onnx.py writes MobileNet v2 at 64x64 with our parameter count, ort_run.js times
// it, the temporary folder goes away; and each way ONNX Runtime can be missing is an OrtError
// marked unavailable. The export and timing need onnxruntime-node in bench/ort (skipped
// without it).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "cnn/bench/ort_reference.h"
#include "cnn/models/registry.h"

namespace {

namespace fs = std::filesystem;
using namespace cnn::bench;

OrtRunner runner() {
  OrtRunner r;
  r.script = CNN_SOURCE_DIR "/bench/ort/ort_run.js";
  r.python = CNN_PYTHON;
  r.export_script = CNN_SOURCE_DIR "/bench/export_onnx.py";
  return r;
}

bool has_onnxruntime() {
  return fs::exists(CNN_SOURCE_DIR "/bench/ort/node_modules/onnxruntime-node");
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(OrtReference, ExportsAndTimesAModel) {
  if (!has_onnxruntime()) GTEST_SKIP() << "no bench/ort/node_modules/onnxruntime-node";
  const OrtVersions versions = ort_versions(runner());
  EXPECT_FALSE(versions.ort.empty());
  EXPECT_EQ(versions.node.rfind('v', 0), 0u) << versions.node;
  std::string folder_path;
  {
    const TemporaryFolder folder;
    folder_path = folder.path();
    ASSERT_TRUE(fs::is_directory(folder_path));
    const OnnxExport exported =
        export_onnx_models(runner(), {"mobilenet_v2"}, {64, 64, 3}, 10, 17, folder.path());
    EXPECT_FALSE(exported.torch_version.empty());
    EXPECT_EQ(exported.opset, 17);
    ASSERT_EQ(exported.models.size(), 1u);
    EXPECT_EQ(exported.models[0].model, "mobilenet_v2");
    EXPECT_TRUE(fs::is_regular_file(exported.models[0].file));
    cnn::Generator gen(1);
    EXPECT_EQ(exported.models[0].parameters,
              cnn::models::create("mobilenet_v2", {.classes = 10, .in_channels = 3}, gen)
                  ->parameter_count());
    // The batch is a symbolic axis: any batch runs.
    const Timing t = time_ort(runner(), exported.models[0].file, {2, 3, 64, 64}, 1,
                              BenchPolicies::quick().models);
    EXPECT_EQ(t.reps, 2);
    EXPECT_GT(t.min_seconds, 0);
    EXPECT_LE(t.min_seconds, t.median_seconds);
  }
  EXPECT_FALSE(fs::exists(folder_path)) << folder_path;
}

void expect_unavailable(const std::function<void()>& call, const std::string& message) {
  try {
    call();
    FAIL() << "no error";
  } catch (const OrtError& e) {
    EXPECT_TRUE(e.unavailable()) << e.what();
    EXPECT_TRUE(contains(e.what(), message)) << e.what();
  }
}

TEST(OrtReference, MissingNodeIsUnavailable) {
  OrtRunner r = runner();
  r.node = "/nonexistent/node";
  expect_unavailable([&] { ort_versions(r); }, "cannot run '/nonexistent/node'");
}

TEST(OrtReference, MissingOnnxruntimeIsUnavailable) {
  // ort_run.js copied where no node_modules folder is near.
  const TemporaryFolder folder;
  const fs::path script = fs::path(folder.path()) / "ort_run.js";
  fs::copy_file(runner().script, script);
  OrtRunner r = runner();
  r.script = script.string();
  expect_unavailable([&] { ort_versions(r); }, "cannot load onnxruntime-node");
}

TEST(OrtReference, PythonWithoutTorchIsUnavailable) {
  // Debian's python with site-packages turned off (-S) cannot import torch.
  const TemporaryFolder folder;
  const fs::path python = fs::path(folder.path()) / "python";
  std::ofstream(python) << "#!/bin/sh\nexec " << CNN_PYTHON << " -S \"$@\"\n";
  fs::permissions(python, fs::perms::owner_all);
  OrtRunner r = runner();
  r.python = python.string();
  expect_unavailable(
      [&] {
        export_onnx_models(r, {"resnet18"}, {224, 224, 3}, 1000, 17, folder.path());
      },
      "PyTorch is not importable");
}

}  // namespace
