// bench/torch_bench.py through run_torch, on tiny cases in the --quick policy (a few
// seconds): valid results for each kind of case, PyTorch's ResNet-20 the same size as ours,
// and each way PyTorch can be missing reported as a TorchError.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cnn/bench/torch_reference.h"
#include "cnn/models/registry.h"

namespace {

namespace fs = std::filesystem;
using namespace cnn::bench;

TorchRunner runner() {
  return {.python = CNN_PYTHON, .script = CNN_SOURCE_DIR "/bench/torch_bench.py"};
}

TorchSpec tiny_spec() {
  TorchSpec spec{
      .threads = 1, .policies = BenchPolicies::quick(), .gemm = {}, .layers = {}, .models = {}};
  spec.gemm = {{.m = 32, .n = 48, .k = 16, .threads = 1}};
  spec.layers = {{.model = "test",
                  .layer = "conv",
                  .batch = 2,
                  .height = 8,
                  .width = 8,
                  .in_channels = 4,
                  .out_channels = 8,
                  .kernel = 3,
                  .stride = 1,
                  .padding = 1},
                 {.model = "test",
                  .layer = "depthwise",
                  .batch = 2,
                  .height = 9,
                  .width = 9,
                  .in_channels = 6,
                  .out_channels = 6,
                  .kernel = 3,
                  .stride = 2,
                  .padding = 1,
                  .groups = 6}};
  spec.models = {{.model = "resnet20",
                  .mode = ModelMode::train,
                  .batch = 2,
                  .height = 28,
                  .width = 28,
                  .channels = 1,
                  .classes = 10}};
  return spec;
}

void expect_figure(const TorchFigure& f, bool layouts) {
  EXPECT_GT(f.timing.median_seconds, 0);
  EXPECT_GT(f.timing.min_seconds, 0);
  EXPECT_LE(f.timing.min_seconds, f.timing.median_seconds);
  EXPECT_EQ(f.timing.reps, 2);
  if (!layouts) {
    EXPECT_EQ(f.layout, "row-major");
    return;
  }
  ASSERT_TRUE(f.layout == "nchw" || f.layout == "channels_last") << f.layout;
  EXPECT_GT(f.nchw_seconds, 0);
  EXPECT_GT(f.channels_last_seconds, 0);
  // The figure is the faster layout's.
  EXPECT_DOUBLE_EQ(f.timing.median_seconds, std::min(f.nchw_seconds, f.channels_last_seconds));
}

TEST(TorchReference, TinyCasesGiveValidResults) {
  const TorchResults r = run_torch(runner(), tiny_spec());
  EXPECT_FALSE(r.version.empty());
  ASSERT_EQ(r.gemm.size(), 1u);
  expect_figure(r.gemm[0], false);
  ASSERT_EQ(r.layers.size(), 2u);
  for (const TorchLayerFigures& l : r.layers) {
    expect_figure(l.forward, true);
    expect_figure(l.forward_backward, true);
  }
  ASSERT_EQ(r.models.size(), 1u);
  expect_figure(r.models[0].figure, true);
  // bench/torch_models.py's ResNet-20 has exactly our parameters.
  cnn::Generator gen(1);
  EXPECT_EQ(
      r.models[0].parameters,
      cnn::models::create("resnet20", {.classes = 10, .in_channels = 1}, gen)->parameter_count());
}

TEST(TorchReference, MissingPythonIsUnavailable) {
  try {
    run_torch({.python = "/nonexistent/python3", .script = runner().script}, tiny_spec());
    FAIL() << "no error";
  } catch (const TorchError& e) {
    EXPECT_TRUE(e.unavailable());
    EXPECT_NE(std::string(e.what()).find("cannot run '/nonexistent/python3'"), std::string::npos)
        << e.what();
  }
}

// A script in a temporary file, removed with the object.
class TempScript {
 public:
  TempScript(const std::string& name, const std::string& text, bool executable)
      : path_(fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    std::ofstream(path_) << text;
    if (executable) fs::permissions(path_, fs::perms::owner_all);
  }
  ~TempScript() { fs::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(TorchReference, PythonWithoutTorchIsUnavailable) {
  const TempScript python("cnn_python_no_site",
                          std::string("#!/bin/sh\nexec ") + CNN_PYTHON + " -S \"$@\"\n", true);
  try {
    run_torch({.python = python.path(), .script = runner().script}, tiny_spec());
    FAIL() << "no error";
  } catch (const TorchError& e) {
    EXPECT_TRUE(e.unavailable());
    EXPECT_NE(std::string(e.what()).find("PyTorch is not importable"), std::string::npos)
        << e.what();
  }
}

TEST(TorchReference, AScriptThatPrintsNoJsonIsAnError) {
  const TempScript script("cnn_not_json.py", "print('hello')\n", false);
  try {
    run_torch({.python = CNN_PYTHON, .script = script.path()}, tiny_spec());
    FAIL() << "no error";
  } catch (const TorchError& e) {
    EXPECT_FALSE(e.unavailable());
    EXPECT_NE(std::string(e.what()).find("did not print a JSON object"), std::string::npos)
        << e.what();
  }
  const TempScript failing("cnn_failing.py", "import sys\nsys.exit(5)\n", false);
  try {
    run_torch({.python = CNN_PYTHON, .script = failing.path()}, tiny_spec());
    FAIL() << "no error";
  } catch (const TorchError& e) {
    EXPECT_FALSE(e.unavailable());
    EXPECT_NE(std::string(e.what()).find("exited with status 5"), std::string::npos) << e.what();
  }
}

}  // namespace
