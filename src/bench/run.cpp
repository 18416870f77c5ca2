// The order of a benchmark run: the FMA peak, then each selected section with our figures
// first and PyTorch's right after, so that both sides of a ratio are measured minutes apart
// at most on a machine whose speed drifts (the models section then ONNX Runtime's, in three
// rounds over the models), then the FMA peak again.
#include <algorithm>
#include <set>
#include <thread>

#include "bench/machine.h"
#include "cnn/bench/ort_reference.h"
#include "cnn/bench/report.h"
#include "cnn/parallel.h"
#include "kernels/cpu/isa.h"

namespace cnn::bench {
namespace {

class Runner {
 public:
  Runner(const BenchOptions& options, Report& report) : options_(options), report_(report) {}

  void tell(const std::string& message) const {
    if (options_.progress) options_.progress(message);
  }

  // PyTorch's figures for `spec`'s cases, or nothing (with a note saying why).
  std::optional<TorchResults> torch(const TorchSpec& spec, const char* section) {
    if (!options_.torch || torch_unavailable_) return std::nullopt;
    tell(std::string("PyTorch: ") + section);
    try {
      TorchResults results = run_torch(options_.torch_runner, spec);
      report_.torch.measured = true;
      report_.torch.version = results.version;
      return results;
    } catch (const TorchError& e) {
      report_.torch.notes.push_back(e.unavailable() ? e.what()
                                                    : std::string(section) + ": " + e.what());
      torch_unavailable_ = torch_unavailable_ || e.unavailable();
      return std::nullopt;
    }
  }

  TorchSpec spec() const {
    return {.threads = options_.threads,
            .policies = report_.policies,
            .gemm = {},
            .layers = {},
            .models = {}};
  }

 private:
  const BenchOptions& options_;
  Report& report_;
  bool torch_unavailable_ = false;
};

// Separate measurements of each model by ONNX Runtime (a fresh process and session each),
// round by round over all the models so that a slow spell of the machine hits one round of
// each rather than all rounds of one; the best median counts.
constexpr int kOrtRounds = 3;
constexpr int kOrtOpset = 17;

// Why ONNX Runtime has no figure, recorded as a note; `what` says for which model, if any.
void note_ort(Report& report, const Error& e, const std::string& what) {
  report.ort.notes.push_back("ONNX Runtime not measured" + (what.empty() ? "" : " for " + what) +
                             ": " + e.what());
}

// ONNX Runtime's figure for every inference row of report.models: the models exported by
// torch.onnx.export into a temporary folder (removed on return), then timed kOrtRounds times.
void measure_ort(const BenchOptions& options, Report& report, const Runner& run) {
  OrtRunner runner = options.ort_runner;
  runner.python = options.torch_runner.python;
  std::vector<std::string> names;  // distinct, in row order
  std::set<std::string> seen;
  int64_t classes = 0;
  Shape image;
  for (const ModelRow& row : report.models) {
    const ModelCase& m = row.model;
    if (m.mode != ModelMode::inference || !seen.insert(m.model).second) continue;
    names.push_back(m.model);
    const Shape this_image{m.height, m.width, m.channels};
    CNN_CHECK(image.empty() || (image == this_image && classes == m.classes),
              "cnn bench: the inference models differ in input or classes; the export takes one");
    image = this_image;
    classes = m.classes;
  }
  if (names.empty()) return;
  try {
    run.tell("ONNX Runtime: version");
    const OrtVersions versions = ort_versions(runner);
    report.ort.version = versions.ort;
    report.ort.node_version = versions.node;
    run.tell("ONNX Runtime: exporting the models with torch.onnx.export");
    const TemporaryFolder folder;
    const OnnxExport exported =
        export_onnx_models(runner, names, image, classes, kOrtOpset, folder.path());
    report.ort.exporter = "torch " + exported.torch_version + " torch.onnx.export, opset " +
                          std::to_string(exported.opset);
    report.ort.rounds = kOrtRounds;
    std::set<const ModelRow*> failed;  // no more rounds for these
    for (int round = 1; round <= kOrtRounds; ++round) {
      for (ModelRow& row : report.models) {
        const ModelCase& m = row.model;
        if (m.mode != ModelMode::inference || failed.count(&row) != 0) continue;
        const auto file = std::find_if(exported.models.begin(), exported.models.end(),
                                       [&](const ExportedModel& e) { return e.model == m.model; });
        const std::string what = m.model + " at batch " + std::to_string(m.batch);
        run.tell("ONNX Runtime: " + what + ", round " + std::to_string(round));
        try {
          if (file == exported.models.end())
            throw OrtError(runner.export_script + " did not export " + m.model, false);
          const Timing t = time_ort(runner, file->file, {m.batch, m.channels, m.height, m.width},
                                    options.threads, report.policies.models);
          if (!row.ort) row.ort = OrtModelFigure{.timing = t, .runs = {}, .parameters = 0};
          row.ort->runs.push_back(t);
          row.ort->parameters = file->parameters;
          if (t.median_seconds < row.ort->timing.median_seconds) row.ort->timing = t;
        } catch (const OrtError& e) {
          if (e.unavailable()) throw;
          note_ort(report, e, what);
          failed.insert(&row);
          row.ort.reset();  // a figure from fewer rounds than the others would not compare
        }
      }
    }
  } catch (const Error& e) {  // OrtError, or no temporary folder
    note_ort(report, e, "");
    for (ModelRow& row : report.models) row.ort.reset();
  }
  for (const ModelRow& row : report.models) report.ort.measured |= row.ort.has_value();
}

// Measures the FMA peak on one thread and on all, keeping the better of this and any earlier
// measurement: other processes can only lower a peak, so the run measures it at its start
// and at its end.
void measure_peaks(Report& report, int threads) {
  const FmaPeak one = measure_fma_peak(1, report.policies.peak);
  if (one.gflops > report.peak_one_thread.gflops) report.peak_one_thread = one;
  const FmaPeak all = threads == 1 ? one : measure_fma_peak(threads, report.policies.peak);
  if (all.gflops > report.peak_all_threads.gflops) report.peak_all_threads = all;
}

}  // namespace

Report run_benchmarks(const BenchOptions& options) {
  const ThreadCountGuard threads(options.threads);
  Report report;
  report.machine = {.cpu = cpu_model(),
                    .hardware_threads = static_cast<int>(std::thread::hardware_concurrency()),
                    .threads = options.threads,
                    .date = local_date_time(),
                    .gemm_isa = kernels::cpu::isa_name(kernels::cpu::kernel_isa()),
                    .load_average_start = load_average()};
  report.quick = options.quick;
  report.policies = options.quick ? BenchPolicies::quick() : BenchPolicies::standard();
  report.torch.requested = options.torch;
  report.torch.python = options.torch_runner.python;
  report.ort.requested = options.ort && options.models;
  report.ort.node = options.ort_runner.node;
  Runner run(options, report);
  // Read (and the models run for their layers' shapes) first: a bad list fails at once.
  const std::vector<GemmCase> gemms =
      options.gemm ? gemm_cases(options.cases_dir + "/gemm.json", options.threads)
                   : std::vector<GemmCase>{};
  const std::vector<ConvCase> layers =
      options.layers ? layer_cases(options.cases_dir + "/conv2d.json") : std::vector<ConvCase>{};

  run.tell("FMA peak");
  measure_peaks(report, options.threads);

  if (options.gemm) {
    report.has_gemm = true;
    TorchSpec spec = run.spec();
    for (const GemmCase& g : gemms) {
      run.tell("GEMM on " + std::to_string(g.threads) + " thread(s)");
      report.gemm.push_back({.gemm = g, .ours = time_gemm(g, report.policies.gemm), .torch = {}});
      spec.gemm.push_back(g);
    }
    if (auto torch = run.torch(spec, "GEMM"))
      for (size_t i = 0; i < report.gemm.size(); ++i) report.gemm[i].torch = torch->gemm[i];
  }

  if (options.layers) {
    report.has_layers = true;
    TorchSpec spec = run.spec();
    spec.layers = layers;
    for (const ConvCase& c : spec.layers) {
      run.tell("layer " + c.model + " " + c.layer + " batch " + std::to_string(c.batch));
      report.layers.push_back(
          {.layer = c, .ours = time_layer(c, report.policies.layers), .torch = {}});
    }
    if (auto torch = run.torch(spec, "layers"))
      for (size_t i = 0; i < report.layers.size(); ++i) report.layers[i].torch = torch->layers[i];
  }

  if (options.models) {
    report.has_models = true;
    TorchSpec spec = run.spec();
    spec.models = model_cases();
    for (const ModelCase& m : spec.models) {
      run.tell("model " + m.model + " (" + mode_name(m.mode) + ")");
      report.models.push_back(
          {.model = m, .ours = time_model(m, report.policies.models), .torch = {}, .ort = {}});
    }
    if (auto torch = run.torch(spec, "models"))
      for (size_t i = 0; i < report.models.size(); ++i) report.models[i].torch = torch->models[i];
    if (options.ort) measure_ort(options, report, run);
  }
  run.tell("FMA peak again");
  measure_peaks(report, options.threads);
  report.machine.load_average_end = load_average();
  return report;
}

}  // namespace cnn::bench
