#include "cnn/bench/onnx_bench.h"

#include <cstdio>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/bench/ort_reference.h"
#include "cnn/error.h"
#include "cnn/models/registry.h"
#include "cnn/onnx/onnx.h"
#include "cnn/parallel.h"
#include "cnn/prepare.h"

namespace cnn::bench {
namespace {

TimingPolicy policy(bool quick) {
  return quick ? TimingPolicy{.warmup_reps = 1, .min_reps = 2, .max_reps = 2, .budget_seconds = 0}
               : TimingPolicy{.warmup_reps = 3,
                              .warmup_seconds = 0.3,
                              .min_reps = 10,
                              .max_reps = 200,
                              .budget_seconds = 1.5};
}

// ONNX Runtime's median and minimum (bench/ort/ort_run.js); reps = 0 and `error` on failure.
Timing time_ort_or_note(const OnnxBenchOptions& o, int64_t batch, const Shape& image,
                        std::string& error) {
  OrtRunner runner;
  runner.node = o.node;
  runner.script = o.ort_script;
  try {
    return time_ort(runner, o.file, {batch, image[2], image[0], image[1]}, o.threads,
                    policy(o.quick));
  } catch (const OrtError& e) {
    error = e.what();
    return {};
  }
}

}  // namespace

std::vector<OnnxBenchRow> run_onnx_bench(const OnnxBenchOptions& o) {
  const ThreadCountGuard threads(o.threads);
  auto model = onnx::load(o.file);
  model->eval();
  CNN_CHECK(model->inputs().size() == 1 && model->inputs()[0].shape.size() == 4, o.file,
            ": cnn bench --onnx takes models with one [N, C, H, W] input");
  const Shape declared = model->inputs()[0].shape;
  Shape image = o.image;
  if (image.empty()) {
    CNN_CHECK(declared[1] > 0 && declared[2] > 0 && declared[3] > 0, o.file,
              ": the input size is symbolic (", to_string(declared), "); give --input HxWxC");
    image = {declared[2], declared[3], declared[1]};
  }
  std::shared_ptr<nn::Module> builder;
  if (!o.builder.empty()) {
    Generator gen(1);
    const int64_t classes = onnx::declared_classes(*model);
    builder = models::create(
        o.builder, {.classes = classes > 0 ? classes : 1000, .in_channels = image[2]}, gen);
    builder->eval();
  }
  std::vector<OnnxBenchRow> rows;
  for (int64_t batch : o.batches) {
    CNN_CHECK(declared[0] < 0 || declared[0] == batch, o.file, ": the model's batch is fixed at ",
              declared[0], "; it cannot be timed at batch ", batch);
    OnnxBenchRow row;
    row.batch = batch;
    Generator gen(2);
    const Tensor x = Tensor::normal({batch, image[0], image[1], image[2]}, 0, 1, gen);
    {
      // both prepared for inference (cnn/prepare.h), as cnn eval and predict run them
      const auto imported = prepare(model, x.shape());
      const auto built = builder ? prepare(builder, x.shape()) : nullptr;
      // alternating rounds, the best median of each kept: a machine whose speed drifts
      // (another process, clocks) moves both figures alike
      const int rounds = o.quick ? 1 : 3;
      const auto best = [](Timing& kept, const Timing& t) {
        if (kept.reps == 0 || t.median_seconds < kept.median_seconds) kept = t;
      };
      for (int r = 0; r < rounds; ++r) {
        best(row.imported, time_work([&] { imported->forward(x); }, policy(o.quick)));
        if (built) best(row.builder, time_work([&] { built->forward(x); }, policy(o.quick)));
      }
    }
    if (o.ort) row.ort = time_ort_or_note(o, batch, image, row.ort_error);
    rows.push_back(row);
  }
  return rows;
}

std::string format_onnx_bench(const OnnxBenchOptions& o, const std::vector<OnnxBenchRow>& rows) {
  std::ostringstream out;
  char line[256];
  out << "ONNX model " << o.file << ", " << o.threads << " thread(s); medians in milliseconds\n";
  std::snprintf(line, sizeof line, "%6s %12s %12s %12s %12s %12s\n", "batch", "imported",
                o.builder.empty() ? "builder" : o.builder.c_str(), "onnxruntime", "imp/builder",
                "imp/ort");
  out << line;
  const auto ms = [](const Timing& t) { return t.reps > 0 ? t.median_seconds * 1e3 : -1.0; };
  const auto cell = [](double v, const char* fmt) {
    char b[32];
    if (v < 0) return std::string("-");
    std::snprintf(b, sizeof b, fmt, v);
    return std::string(b);
  };
  for (const OnnxBenchRow& r : rows) {
    const double a = ms(r.imported), b = ms(r.builder), c = ms(r.ort);
    std::snprintf(line, sizeof line, "%6lld %12s %12s %12s %12s %12s\n",
                  static_cast<long long>(r.batch), cell(a, "%.2f").c_str(), cell(b, "%.2f").c_str(),
                  cell(c, "%.2f").c_str(), cell(b > 0 ? a / b : -1, "%.3f").c_str(),
                  cell(c > 0 ? a / c : -1, "%.3f").c_str());
    out << line;
    if (!r.ort_error.empty()) out << "  onnxruntime: " << r.ort_error << "\n";
  }
  out << "ratios below 1: the imported model is faster\n";
  return out.str();
}

}  // namespace cnn::bench
