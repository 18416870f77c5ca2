// The order of a benchmark run: the FMA peak, then each selected section with our figures
// first and PyTorch's right after, so that both sides of a ratio are measured minutes apart
// at most on a machine whose speed drifts, then the FMA peak again.
#include <thread>

#include "bench/machine.h"
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
          {.model = m, .ours = time_model(m, report.policies.models), .torch = {}});
    }
    if (auto torch = run.torch(spec, "models"))
      for (size_t i = 0; i < report.models.size(); ++i) report.models[i].torch = torch->models[i];
  }
  run.tell("FMA peak again");
  measure_peaks(report, options.threads);
  report.machine.load_average_end = load_average();
  return report;
}

}  // namespace cnn::bench
