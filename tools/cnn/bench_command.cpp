// `cnn bench`: the FMA peak, our GEMM, convolution layers and models, each beside PyTorch's
// figure for the same work measured in the same run (bench/torch_bench.py), and model
// inference beside ONNX Runtime's (bench/export_onnx.py, bench/ort/ort_run.js), as tables or
// JSON.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cnn/bench/allreduce.h"
#include "cnn/bench/formulas.h"
#include "cnn/bench/onnx_bench.h"
#include "cnn/bench/report.h"
#include "cnn/distributed.h"
#include "cnn/error.h"
#include "cnn/parallel.h"
#include "commands.h"
#include "options.h"

#ifndef CNN_ORT_SCRIPT
#error "CNN_ORT_SCRIPT (the path of bench/ort/ort_run.js) is set by CMakeLists.txt"
#endif
#ifndef CNN_CASES_DIR
#error "CNN_CASES_DIR (the path of tests/cases) is set by CMakeLists.txt"
#endif
#ifndef CNN_BENCH_SCRIPT
#error "CNN_BENCH_SCRIPT (the path of bench/torch_bench.py) is set by CMakeLists.txt"
#endif
#ifndef CNN_EXPORT_SCRIPT
#error "CNN_EXPORT_SCRIPT (the path of bench/export_onnx.py) is set by CMakeLists.txt"
#endif

namespace cnn::tool {
namespace {

struct BenchArgs {
  bool json = false;
  int threads = 0;  // 0: cnn::num_threads() (the hardware threads, or CNN_NUM_THREADS)
  bool quick = false;
  bool no_torch = false;
  std::vector<std::string> only;
  std::string python = "/usr/bin/python3";
  std::string torch_script = CNN_BENCH_SCRIPT;
  std::string cases_dir = CNN_CASES_DIR;
  bool no_ort = false;
  std::string node = "node";
  std::string ort_script = CNN_ORT_SCRIPT;
  std::string export_script = CNN_EXPORT_SCRIPT;
  // --onnx
  std::string onnx;
  std::vector<int64_t> batches{1};
  std::string builder;
  std::string input;
  // --allreduce
  bool allreduce = false;
  bool formulas = false;
  double resnet20_rate = 0.0, resnet50_rate = 0.0;  // images/s of one node training
};

// `cnn bench --allreduce` on the ranks mpirun started: times, ring model, predictions.
int run_allreduce_bench(const BenchArgs& a) {
  const auto comm = distributed::init({.timeout_seconds = 600.0, .require_launcher = true});
  CNN_CHECK(comm->size() >= 2, "cnn bench --allreduce needs 2 or more ranks (mpirun -np 2 ...)");
  std::vector<int64_t> sizes;
  for (int64_t bytes = 4096; bytes <= (int64_t{256} << 20); bytes *= 4) sizes.push_back(bytes);
  const std::vector<bench::AllReduceRow> rows = bench::measure_all_reduce(*comm, sizes);
  const int hosts = distributed::count_hosts(*comm);
  if (comm->rank() != 0) return 0;
  std::vector<bench::ScalingCase> cases;
  if (a.resnet20_rate > 0)  // 269,434 parameters; 2 buckets of 1 MiB
    cases.push_back({"ResNet-20 (Fashion-MNIST)", 1.0 / a.resnet20_rate, 128, 269434 * 4, 2});
  if (a.resnet50_rate > 0)  // 25,557,032 parameters; buckets of 1 MiB
    cases.push_back({"ResNet-50 (224x224)", 1.0 / a.resnet50_rate, 256, 25557032 * 4, 98});
  const std::vector<bench::Link> links = {
      {"10 Gbit/s", 10e9 / 8}, {"25 Gbit/s", 25e9 / 8}, {"100 Gbit/s", 100e9 / 8}};
  std::fputs(bench::format_all_reduce(rows, comm->size(),
                                      comm->description() + " on " + std::to_string(hosts) +
                                          (hosts == 1 ? " host" : " hosts"),
                                      cases, links)
                 .c_str(),
             stdout);
  return 0;
}

int run_onnx_bench(const BenchArgs& a) {
  bench::OnnxBenchOptions o{
      .file = a.onnx,
      .batches = a.batches,
      .image = a.input.empty() ? Shape{} : *parse_image_shape(a.input),  // validated
      .builder = a.builder,
      .threads = a.threads > 0 ? a.threads : num_threads(),
      .ort = !a.no_ort,
      .node = a.node,
      .ort_script = a.ort_script,
      .quick = a.quick};
  const std::vector<bench::OnnxBenchRow> rows = bench::run_onnx_bench(o);
  std::fputs(bench::format_onnx_bench(o, rows).c_str(), stdout);
  return 0;
}

const CLI::Validator kPositiveWhole(
    [](std::string& value) {
      if (!value.empty() && value.size() <= 4 &&
          value.find_first_not_of("0123456789") == std::string::npos && std::stoi(value) > 0)
        return std::string();
      return "must be a whole number from 1 to 9999, got '" + value + "'";
    },
    "N");

bool selected(const std::vector<std::string>& only, const char* section) {
  if (only.empty()) return true;
  for (const std::string& s : only)
    if (s == section) return true;
  return false;
}

int run_formula_bench(const BenchArgs& a) {
  const bench::FormulaReport report =
      bench::run_formula_benchmarks(a.threads > 0 ? a.threads : num_threads(), a.quick);
  const std::string text =
      a.json ? bench::format_formula_report_json(report) : bench::format_formula_report(report);
  std::fputs(text.c_str(), stdout);
  return 0;
}

int run_bench(const BenchArgs& a) {
  if (a.allreduce) return run_allreduce_bench(a);
  if (a.formulas) return run_formula_bench(a);
  if (!a.onnx.empty()) return run_onnx_bench(a);
  bench::BenchOptions options{.threads = a.threads > 0 ? a.threads : num_threads(),
                              .quick = a.quick,
                              .gemm = selected(a.only, "gemm"),
                              .layers = selected(a.only, "layers"),
                              .models = selected(a.only, "models"),
                              .torch = !a.no_torch,
                              .torch_runner = {.python = a.python, .script = a.torch_script},
                              .ort = !a.no_ort,
                              .ort_runner = {.node = a.node,
                                             .script = a.ort_script,
                                             .python = a.python,
                                             .export_script = a.export_script},
                              .cases_dir = a.cases_dir,
                              .progress = {}};
  // Progress on a terminal only, on one line that the next step overwrites: a log or a pipe
  // gets the report alone.
  const bool live = ::isatty(STDERR_FILENO) != 0;
  if (live) {
    options.progress = [](const std::string& step) {
      std::fprintf(stderr, "\r\033[Kcnn bench: measuring %s ...", step.c_str());
      std::fflush(stderr);
    };
  }
  const bench::Report report = bench::run_benchmarks(options);
  if (live) std::fprintf(stderr, "\r\033[K");
  const std::string text = a.json ? bench::format_json(report) : bench::format_text(report);
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace

Run add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Measure the FMA peak, the GEMM, ResNet/MobileNet convolution layers and whole models, "
      "each beside PyTorch's figure for the same work measured in the same run, and model "
      "inference beside ONNX Runtime's on torch.onnx.export's file of the same model (a few "
      "minutes; --quick for a smoke test)");
  cmd->add_flag("--json", args->json, "print JSON with the same content instead of tables");
  cmd->add_option("--threads", args->threads,
                  "threads for our kernels, PyTorch and ONNX Runtime (default: the hardware "
                  "threads, or CNN_NUM_THREADS when set)")
      ->check(kPositiveWhole);
  cmd->add_flag("--quick", args->quick,
                "one warm-up run and two timed runs per figure: seconds instead of minutes, "
                "figures indicative only");
  cmd->add_flag("--no-torch", args->no_torch,
                "skip PyTorch's figures (ONNX Runtime's models are still exported by --python)");
  cmd->add_option("--only", args->only,
                  "run only these sections: gemm, layers, models (repeat the option or give a "
                  "comma list; the FMA peak is always measured)")
      ->delimiter(',')
      ->check(one_of({"gemm", "layers", "models"}));
  cmd->add_option("--python", args->python,
                  "the Python that has PyTorch (Debian's python3-torch); it also exports the "
                  "models ONNX Runtime runs")
      ->capture_default_str();
  cmd->add_option("--torch-script", args->torch_script, "PyTorch's side of the benchmark")
      ->capture_default_str();
  cmd->add_option(
         "--cases", args->cases_dir,
         "the case lists: conv2d.json there names the model layers to time, gemm.json the GEMM")
      ->capture_default_str();
  CLI::Option* onnx = cmd->add_option(
      "--onnx", args->onnx,
      "instead: time this ONNX model as imported, beside ONNX Runtime (bench/ort) and --builder");
  cmd->add_option("--batch", args->batches, "with --onnx: batch sizes (comma list)")
      ->delimiter(',')
      ->check(positive())
      ->needs(onnx);
  cmd->add_option("--builder", args->builder,
                  "with --onnx: cnn's own model of the same architecture, e.g. resnet18")
      ->needs(onnx);
  cmd->add_option("--input", args->input,
                  "with --onnx: the image HxWxC (default: the model's declared input)")
      ->check(image_shape())
      ->needs(onnx);
  cmd->add_flag("--allreduce", args->allreduce,
                "under mpirun: all-reduce times from 4 KiB to 256 MiB through cnn's communicator, "
                "the ring model fitted to them and the data-parallel scaling it predicts "
                "(docs/DISTRIBUTED.md)");
  cmd->add_flag("--formulas", args->formulas,
                "layers written as formulas (docs/FORMULAS.md) beside the built-in ops, and the "
                "general loop nest against the FMA peak");
  cmd->add_option("--resnet20-rate", args->resnet20_rate,
                  "with --allreduce: ResNet-20 training images/s of one node, for the prediction")
      ->check(non_negative());
  cmd->add_option("--resnet50-rate", args->resnet50_rate,
                  "with --allreduce: ResNet-50 (224x224) training images/s of one node")
      ->check(non_negative());
  cmd->add_flag("--no-ort", args->no_ort,
                "skip ONNX Runtime (model inference, and with --onnx the imported model's peer)");
  cmd->add_option("--node", args->node, "the Node.js that runs ONNX Runtime")
      ->capture_default_str();
  cmd->add_option("--ort-script", args->ort_script,
                  "ONNX Runtime's side (bench/ort/ort_run.js, npm onnxruntime-node)")
      ->capture_default_str();
  cmd->add_option("--export-script", args->export_script,
                  "writes the models ONNX Runtime runs (torch.onnx.export, opset 17)")
      ->capture_default_str();
  return [args] { return run_bench(*args); };
}

}  // namespace cnn::tool
