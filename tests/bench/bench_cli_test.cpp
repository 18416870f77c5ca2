// `cnn bench` end to end in its --quick form (seconds, not minutes): the JSON's structure and
// that every figure is a positive finite number, the tables, PyTorch's absence reported
// rather than fatal, and usage errors exiting 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cnn/bench/cases.h"
#include "support/process.h"

namespace {

using cnn::testing::ProcessResult;
using nlohmann::json;

ProcessResult run_bench(const std::string& args) {
  return cnn::testing::run_cnn("bench " + args);
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

void expect_positive(const json& j, const char* key) {
  ASSERT_TRUE(j.contains(key)) << key << " missing in " << j.dump();
  ASSERT_TRUE(j.at(key).is_number()) << key << " in " << j.dump();
  const double v = j.at(key).get<double>();
  EXPECT_TRUE(std::isfinite(v) && v > 0) << key << " = " << v;
}

// Our side of one timed piece of work: times, reps, GFLOP/s, % of peak; no PyTorch.
void expect_our_figure(const json& work, double flops) {
  EXPECT_DOUBLE_EQ(work.at("flops").get<double>(), flops);
  const json& ours = work.at("ours");
  for (const char* key : {"median_seconds", "min_seconds", "gflops", "percent_of_peak"})
    expect_positive(ours, key);
  EXPECT_EQ(ours.at("reps"), 2);
  EXPECT_LE(ours.at("min_seconds").get<double>(), ours.at("median_seconds").get<double>());
  EXPECT_TRUE(work.at("torch").is_null());
  EXPECT_TRUE(work.at("ratio").is_null());
}

TEST(BenchCli, QuickJsonWithoutTorchHasEveryFigure) {
  const ProcessResult r = run_bench("--quick --no-torch --only gemm,layers --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const json j = json::parse(r.output);
  EXPECT_FALSE(j.at("machine").at("cpu").get<std::string>().empty());
  EXPECT_GE(j.at("machine").at("threads").get<int>(), 1);
  EXPECT_FALSE(j.at("machine").at("date").get<std::string>().empty());
  EXPECT_TRUE(j.at("machine").at("load_average_start").is_number());
  EXPECT_TRUE(j.at("machine").at("load_average_end").is_number());
  EXPECT_TRUE(j.at("quick").get<bool>());
  EXPECT_EQ(j.at("sections"), json({"gemm", "layers"}));
  EXPECT_FALSE(j.at("torch").at("requested").get<bool>());
  EXPECT_FALSE(j.at("torch").at("measured").get<bool>());
  EXPECT_FALSE(j.at("peak").at("isa").get<std::string>().empty());
  expect_positive(j.at("peak").at("one_thread"), "gflops");
  expect_positive(j.at("peak").at("all_threads"), "gflops");

  const int threads = j.at("machine").at("threads").get<int>();
  ASSERT_EQ(j.at("gemm").size(), threads == 1 ? 1u : 2u);
  for (const json& g : j.at("gemm")) {
    EXPECT_EQ(g.at("m"), 1024);
    expect_our_figure(g, 2.0 * 1024 * 1024 * 1024);
  }
  EXPECT_EQ(j.at("gemm").at(0).at("threads"), 1);

  const auto cases =
      cnn::bench::layer_cases(std::string(CNN_SOURCE_DIR) + "/tests/cases/conv2d.json");
  ASSERT_EQ(j.at("layers").size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const json& l = j.at("layers").at(i);
    SCOPED_TRACE(l.dump());
    EXPECT_EQ(l.at("model"), cases[i].model);
    EXPECT_EQ(l.at("layer"), cases[i].layer);
    EXPECT_EQ(l.at("batch"), cases[i].batch);
    expect_our_figure(l.at("forward"), cases[i].forward_flops());
    expect_our_figure(l.at("forward_backward"), cases[i].forward_backward_flops());
    for (const char* pass : {"forward", "backward_data", "backward_weight"})
      EXPECT_FALSE(l.at("algorithms").at(pass).get<std::string>().empty()) << pass;
  }
  EXPECT_TRUE(j.at("models").empty());
}

TEST(BenchCli, QuickModelsWithoutTorchOrNode) {
  // Without node, ONNX Runtime is a note: nothing is exported, our figures stand alone.
  const ProcessResult r =
      run_bench("--quick --no-torch --only models --json --threads 2 --node /nonexistent/node");
  ASSERT_EQ(r.code, 0) << r.output;
  const json j = json::parse(r.output);
  EXPECT_EQ(j.at("machine").at("threads"), 2);
  EXPECT_TRUE(j.at("gemm").empty());
  EXPECT_TRUE(j.at("layers").empty());
  const json& ort = j.at("ort");
  EXPECT_TRUE(ort.at("requested").get<bool>());
  EXPECT_FALSE(ort.at("measured").get<bool>());
  EXPECT_EQ(ort.at("node"), "/nonexistent/node");
  EXPECT_EQ(ort.at("threads"), 2);
  ASSERT_EQ(ort.at("notes").size(), 1u) << ort.dump();
  EXPECT_TRUE(contains(ort.at("notes")[0].get<std::string>(), "cannot run '/nonexistent/node'"))
      << ort.dump();
  const json& models = j.at("models");
  const std::vector<cnn::bench::ModelCase> cases = cnn::bench::model_cases();
  ASSERT_EQ(models.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(models[i].at("model"), cases[i].model);
    EXPECT_EQ(models[i].at("batch"), cases[i].batch);
    EXPECT_TRUE(models[i].at("ort").is_null());
    EXPECT_TRUE(models[i].at("ratio_ort").is_null());
  }
  ASSERT_EQ(models.size(), 7u);  // ResNet-20 training, three models at batch 1 and 16
  EXPECT_EQ(models[0].at("model"), "resnet20");
  EXPECT_EQ(models[0].at("metric"), "images_per_second");
  EXPECT_EQ(models[0].at("better"), "higher");
  EXPECT_EQ(models[0].at("ours").at("parameters"), 269434);  // resnet20 on 28x28x1, 10 classes
  for (const json& m : models) {
    SCOPED_TRACE(m.dump());
    expect_positive(m.at("ours"), "value");
    expect_positive(m.at("ours"), "median_seconds");
    EXPECT_TRUE(m.at("torch").is_null());
  }
  EXPECT_EQ(models[3].at("model"), "resnet50");
  EXPECT_EQ(models[3].at("batch"), 1);
  EXPECT_EQ(models[3].at("metric"), "latency_seconds");
  EXPECT_EQ(models[3].at("better"), "lower");
  EXPECT_EQ(models[3].at("ours").at("parameters"), 25557032);  // torchvision's resnet50
  EXPECT_EQ(models[4].at("batch"), 16);
}

TEST(BenchCli, NoOrtWorksWithoutOnnx) {
  const ProcessResult r = run_bench("--quick --no-torch --no-ort --only gemm --threads 1 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const json j = json::parse(r.output);
  EXPECT_FALSE(j.at("ort").at("requested").get<bool>());
  EXPECT_FALSE(j.at("ort").at("measured").get<bool>());
  EXPECT_TRUE(j.at("ort").at("notes").empty());
}

TEST(BenchCli, PrintsTables) {
  const ProcessResult r = run_bench("--quick --no-torch --only gemm --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* needle :
       {"cnn bench: ", "1 thread ", "PyTorch not measured (--no-torch)",
        "one multiply-add = 2 FLOP", "FMA peak", "GFLOP/s", "GEMM 1024x1024x1024", "% of peak"})
    EXPECT_TRUE(contains(r.output, needle)) << needle << "\n" << r.output;
  EXPECT_FALSE(contains(r.output, "Convolution layers")) << r.output;
}

TEST(BenchCli, MissingPythonIsReportedNotFatal) {
  const ProcessResult r =
      run_bench("--quick --only gemm --threads 1 --python /nonexistent/python3");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "PyTorch not measured: cannot run '/nonexistent/python3'"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "% of peak")) << r.output;  // our figures all the same
}

TEST(BenchCli, PythonWithoutTorchIsReportedNotFatal) {
  // A python that cannot import torch: Debian's, with site-packages turned off (-S).
  namespace fs = std::filesystem;
  const fs::path wrapper =
      fs::temp_directory_path() / ("cnn_bench_python_" + std::to_string(::getpid()));
  {
    std::ofstream out(wrapper);
    out << "#!/bin/sh\nexec " << CNN_PYTHON << " -S \"$@\"\n";
  }
  fs::permissions(wrapper, fs::perms::owner_all);
  const ProcessResult r =
      run_bench("--quick --only gemm --threads 1 --json --python " + wrapper.string());
  fs::remove(wrapper);
  ASSERT_EQ(r.code, 0) << r.output;
  const json j = json::parse(r.output);
  EXPECT_FALSE(j.at("torch").at("measured").get<bool>());
  ASSERT_EQ(j.at("torch").at("notes").size(), 1u) << r.output;
  EXPECT_TRUE(
      contains(j.at("torch").at("notes")[0].get<std::string>(), "PyTorch is not importable"))
      << r.output;
  EXPECT_TRUE(j.at("gemm").at(0).at("torch").is_null());
  expect_positive(j.at("gemm").at(0).at("ours"), "gflops");
}

TEST(BenchCli, UsageErrorsExitTwo) {
  const struct {
    const char* args;
    const char* message;
  } cases[] = {
      {"--only bogus", "--only: must be one of gemm|layers|models, got 'bogus'"},
      {"--only gemm,bogus", "got 'bogus'"},
      {"--threads 0", "--threads: must be a whole number from 1 to 9999, got '0'"},
      {"--threads two", "got 'two'"},
      {"--bogus", "--bogus"},
  };
  for (const auto& c : cases) {
    const ProcessResult r = run_bench(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, c.message)) << c.args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "--help")) << c.args << "\n" << r.output;
  }
}

TEST(BenchCli, HelpNamesTheOptions) {
  const ProcessResult r = run_bench("--help");
  EXPECT_EQ(r.code, 0) << r.output;
  for (const char* option : {"--json", "--threads", "--quick", "--no-torch", "--only", "--python",
                             "--no-ort", "--node", "--ort-script", "--export-script"})
    EXPECT_TRUE(contains(r.output, option)) << option << "\n" << r.output;
}

}  // namespace
