// format_json and format_text on a fabricated report (no timing): the models table's PyTorch and
// ONNX Runtime figures, their ratios in the row's unit, the three ONNX Runtime runs, and
// null where a peer has no figure.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cnn/bench/report.h"

namespace {

using namespace cnn::bench;
using nlohmann::json;

Timing seconds(double median) {
  return {.median_seconds = median, .min_seconds = median * 0.9, .reps = 5};
}

TorchModelFigure torch_figure(double median, int64_t parameters) {
  return {.figure = {.timing = seconds(median),
                     .layout = "channels_last",
                     .nchw_seconds = median * 1.5,
                     .channels_last_seconds = median},
          .parameters = parameters};
}

OrtModelFigure ort_figure(double a, double b, double c, int64_t parameters) {
  OrtModelFigure f;
  f.timing = seconds(std::min({a, b, c}));
  f.runs = {seconds(a), seconds(b), seconds(c)};
  f.parameters = parameters;
  return f;
}

ModelRow row(const ModelCase& model, double ours_seconds, int64_t parameters,
             std::optional<TorchModelFigure> torch, std::optional<OrtModelFigure> ort) {
  ModelRow r;
  r.model = model;
  r.ours.timing = seconds(ours_seconds);
  r.ours.parameters = parameters;
  r.torch = std::move(torch);
  r.ort = std::move(ort);
  return r;
}

// A models-only report: ResNet-20 training (PyTorch, no ONNX Runtime), ResNet-18 at batch 1
// and 16 with both peers, MobileNet v2 at batch 1 with neither.
Report fabricated() {
  Report r;
  r.machine = {.cpu = "Test CPU",
               .hardware_threads = 2,
               .threads = 2,
               .date = "2026-12-07 12:00:00 +0000",
               .gemm_isa = "avx512",
               .load_average_start = 0.5,
               .load_average_end = 0.6};
  r.policies = BenchPolicies::standard();
  r.torch = {.requested = true,
             .measured = true,
             .version = "1.13.0",
             .python = "/usr/bin/python3",
             .notes = {}};
  r.ort = {.requested = true,
           .measured = true,
           .version = "1.30.0",
           .node = "node",
           .node_version = "v20.20.2",
           .exporter = "torch 1.13.0 torch.onnx.export, opset 17",
           .rounds = 3,
           .notes = {"ONNX Runtime not measured for mobilenet_v2 at batch 1: it failed"}};
  r.peak_one_thread = {.isa = "avx512", .threads = 1, .gflops = 200, .timing = seconds(1)};
  r.peak_all_threads = {.isa = "avx512", .threads = 2, .gflops = 400, .timing = seconds(1)};
  r.has_models = true;
  ModelCase resnet20{.model = "resnet20", .mode = ModelMode::train, .batch = 128};
  resnet20.height = resnet20.width = 28;
  resnet20.channels = 1;
  resnet20.classes = 10;
  ModelCase resnet18_b16{.model = "resnet18"};
  resnet18_b16.batch = 16;
  // ResNet-20: 1000 images/s, PyTorch 500.
  r.models.push_back(row(resnet20, 0.128, 269434, torch_figure(0.256, 269434), std::nullopt));
  r.models.push_back(row({.model = "resnet18"}, 0.015, 11689512, torch_figure(0.010, 11689512),
                         ort_figure(0.012, 0.010, 0.011, 11689512)));
  // An ONNX file whose size differs from ours: a warning.
  r.models.push_back(row(resnet18_b16, 0.140, 11689512, torch_figure(0.280, 11689512),
                         ort_figure(0.150, 0.160, 0.140, 11689000)));
  r.models.push_back(row({.model = "mobilenet_v2"}, 0.004, 3504872, std::nullopt, std::nullopt));
  return r;
}

TEST(BenchReport, JsonHasOrtFiguresRunsAndRatios) {
  const json j = json::parse(format_json(fabricated()));
  const json& ort = j.at("ort");
  EXPECT_TRUE(ort.at("requested").get<bool>());
  EXPECT_TRUE(ort.at("measured").get<bool>());
  EXPECT_EQ(ort.at("version"), "1.30.0");
  EXPECT_EQ(ort.at("node"), "node");
  EXPECT_EQ(ort.at("node_version"), "v20.20.2");
  EXPECT_EQ(ort.at("threads"), 2);
  EXPECT_EQ(ort.at("rounds"), 3);
  EXPECT_EQ(ort.at("exporter"), "torch 1.13.0 torch.onnx.export, opset 17");
  EXPECT_EQ(ort.at("graph_optimizations"), "all");
  ASSERT_EQ(ort.at("notes").size(), 1u);
  EXPECT_EQ(j.at("sections"), json({"models"}));

  const json& models = j.at("models");
  ASSERT_EQ(models.size(), 4u);
  // Training: PyTorch only; the ratio in images/s.
  EXPECT_EQ(models[0].at("metric"), "images_per_second");
  EXPECT_DOUBLE_EQ(models[0].at("ratio").get<double>(), 2.0);
  EXPECT_TRUE(models[0].at("ort").is_null());
  EXPECT_TRUE(models[0].at("ratio_ort").is_null());

  // Inference: latency; ONNX Runtime's best median of its three runs, all three listed.
  const json& r18 = models[1];
  EXPECT_EQ(r18.at("batch"), 1);
  EXPECT_EQ(r18.at("metric"), "latency_seconds");
  EXPECT_DOUBLE_EQ(r18.at("ratio").get<double>(), 1.5);
  const json& o = r18.at("ort");
  EXPECT_EQ(o.at("runs"), json({0.012, 0.010, 0.011}));
  EXPECT_DOUBLE_EQ(o.at("median_seconds").get<double>(), 0.010);
  EXPECT_DOUBLE_EQ(o.at("min_seconds").get<double>(), 0.009);
  EXPECT_EQ(o.at("reps"), 5);
  EXPECT_DOUBLE_EQ(o.at("value").get<double>(), 0.010);
  EXPECT_EQ(o.at("parameters"), 11689512);
  EXPECT_DOUBLE_EQ(r18.at("ratio_ort").get<double>(), 1.5);

  const json& r18b16 = models[2];
  EXPECT_EQ(r18b16.at("batch"), 16);
  EXPECT_DOUBLE_EQ(r18b16.at("ratio").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r18b16.at("ort").at("value").get<double>(), 0.140);
  EXPECT_DOUBLE_EQ(r18b16.at("ratio_ort").get<double>(), 1.0);

  // Neither peer: nulls, our figure alone.
  EXPECT_TRUE(models[3].at("torch").is_null());
  EXPECT_TRUE(models[3].at("ratio").is_null());
  EXPECT_TRUE(models[3].at("ort").is_null());
  EXPECT_TRUE(models[3].at("ratio_ort").is_null());
  EXPECT_DOUBLE_EQ(models[3].at("ours").at("value").get<double>(), 0.004);
}

// The report of a run with --no-ort, or with `note` when ONNX Runtime was asked but missing.
Report without_ort(const std::string& note = "") {
  Report r = fabricated();
  r.ort = OrtStatus{};
  r.ort.requested = !note.empty();
  r.ort.node = "node";
  if (!note.empty()) r.ort.notes = {note};
  for (ModelRow& row : r.models) row.ort.reset();
  return r;
}

TEST(BenchReport, JsonWithoutOrt) {
  const Report r = without_ort();
  const json j = json::parse(format_json(r));
  EXPECT_FALSE(j.at("ort").at("requested").get<bool>());
  EXPECT_FALSE(j.at("ort").at("measured").get<bool>());
  EXPECT_TRUE(j.at("ort").at("notes").empty());
  for (const json& m : j.at("models")) {
    EXPECT_TRUE(m.at("ort").is_null());
    EXPECT_TRUE(m.at("ratio_ort").is_null());
  }
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

using Tokens = std::vector<std::string>;

// The last `n` words of the table row of `model` at `batch` (empty if there is none).
Tokens row_tail(const std::string& text, const std::string& model, const std::string& batch,
                size_t n) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    Tokens tokens;
    for (std::string w; words >> w;) tokens.push_back(w);
    // model, then the work ("prepared forward (cnn::prepare)" or "SGD step: ..."), then the batch
    if (tokens.empty() || tokens[0] != model || tokens.size() < n) continue;
    const auto input = std::find_if(tokens.begin(), tokens.end(), [](const std::string& w) {
      return std::isdigit(static_cast<unsigned char>(w[0])) != 0 &&
             std::count(w.begin(), w.end(), 'x') == 2;  // 224x224x3
    });
    if (input == tokens.begin() || *(input - 1) != batch) continue;
    return Tokens(tokens.end() - static_cast<std::ptrdiff_t>(n), tokens.end());
  }
  return {};
}

TEST(BenchReport, TextHasAColumnAndARatioPerPeer) {
  const std::string text = format_text(fabricated());
  for (const char* needle :
       {"ONNX Runtime 1.30.0 (npm onnxruntime-node, Node.js v20.20.2, 2 threads, graph "
        "optimizations all)",
        "torch 1.13.0 torch.onnx.export, opset 17", "best median of 3 separate runs",
        "Note: ONNX Runtime not measured for mobilenet_v2 at batch 1: it failed", "ours/PyTorch",
        "ONNX Runtime", "ours/ORT",
        "Warning: resnet18: the ONNX file's model has 11689000 parameters, ours 11689512"})
    EXPECT_TRUE(contains(text, needle)) << needle << "\n" << text;
  // unit, ours, PyTorch, its layout, ours/PyTorch, ONNX Runtime, ours/ORT
  EXPECT_EQ(row_tail(text, "resnet18", "1", 7),
            (Tokens{"ms", "15.0", "10.0", "cl", "1.50", "10.0", "1.50"}));
  EXPECT_EQ(row_tail(text, "resnet18", "16", 7),
            (Tokens{"ms", "140.0", "280.0", "cl", "0.50", "140.0", "1.00"}));
  // ResNet-20 training has no ONNX Runtime figure; MobileNet v2 no figure from either.
  EXPECT_EQ(row_tail(text, "resnet20", "128", 7),
            (Tokens{"images/s", "1000.0", "500.0", "cl", "2.00", "-", "-"}));
  EXPECT_EQ(row_tail(text, "mobilenet_v2", "1", 7), (Tokens{"ms", "4.0", "-", "-", "-", "-", "-"}));
}

TEST(BenchReport, TextSaysWhyOrtIsMissing) {
  std::string text = format_text(without_ort());
  EXPECT_TRUE(contains(text, "ONNX Runtime not measured (--no-ort)")) << text;
  EXPECT_FALSE(contains(text, "ours/ORT")) << text;

  text = format_text(without_ort("ONNX Runtime not measured: no node"));
  EXPECT_TRUE(contains(text, "Note: ONNX Runtime not measured: no node")) << text;
  EXPECT_FALSE(contains(text, "ours/ORT")) << text;
}

}  // namespace
