// The cases of `cnn bench --formulas`: ResNet-20's layers (a padded 3x3 convolution, a strided
// one with bias and ReLU), a fully connected classifier, a max pooling, each against its
// built-in op; and a locally connected 3x3 layer (a weight per position: no kernel covers it)
// on the general loop nest.
#include "cnn/bench/formulas.h"

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/formula.h"
#include "cnn/generator.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/conv.h"
#include "cnn/ops/linear.h"
#include "cnn/ops/pool.h"
#include "cnn/ops/reduce.h"
#include "cnn/parallel.h"

namespace cnn::bench {

namespace {

using Inputs = std::map<std::string, Tensor>;

struct Case {
  std::string name;
  std::string text;
  std::map<std::string, double> constants;
  std::map<std::string, Shape> shapes;
  std::function<Tensor(const Inputs&)> builtin;  // empty: none
};

std::vector<Case> cases(bool quick) {
  const int64_t batch = quick ? 2 : 32;
  const int64_t side = quick ? 8 : 32;
  std::vector<Case> list;
  list.push_back(
      {"conv 3x3, 16->16, padding 1 (ResNet-20 stage 1)",
       "Y[b,x,y,j] = W[dx,dy,i,j] * L[b, x+dx-1, y+dy-1, i] where x < H, y < H",
       {{"H", static_cast<double>(side)}},
       {{"L", {batch, side, side, 16}}, {"W", {3, 3, 16, 16}}},
       [](const Inputs& t) { return conv2d(t.at("L"), t.at("W"), {}, {.padding = 1}); }});
  list.push_back({"conv 3x3 stride 2, 16->32, bias, ReLU",
                  "Y[b,x,y,j] = relu(W[dx,dy,i,j] * L[b, 2*x+dx-1, 2*y+dy-1, i] + B[j]) "
                  "where x < H, y < H",
                  {{"H", static_cast<double>(side) / 2}},
                  {{"L", {batch, side, side, 16}}, {"W", {3, 3, 16, 32}}, {"B", {32}}},
                  [](const Inputs& t) {
                    return relu(
                        conv2d(t.at("L"), t.at("W"), t.at("B"), {.stride = 2, .padding = 1}));
                  }});
  list.push_back({"fully connected 64->10 (ResNet-20's classifier)",
                  "Y[b,j] = W[j,i] * L[b,i] + B[j]",
                  {},
                  {{"L", {quick ? 4 : 128, 64}}, {"W", {10, 64}}, {"B", {10}}},
                  [](const Inputs& t) { return linear(t.at("L"), t.at("W"), t.at("B")); }});
  list.push_back(
      {"max pool 3x3 stride 2, 64 channels",
       "Y[b,x,y,i] = max(dx, dy: L[b, 2*x+dx, 2*y+dy, i]) where dx < 3, dy < 3",
       {},
       {{"L", {batch, side + 1, side + 1, 64}}},
       [](const Inputs& t) { return max_pool2d(t.at("L"), {.kernel = 3, .stride = 2}); }});
  list.push_back({"locally connected 3x3, 32->32 (no kernel: general loop nest)",
                  "Y[b,x,y,j] = W[x,y,dx,dy,i,j] * L[b, x+dx, y+dy, i]",
                  {},
                  {{"L", {quick ? 2 : 64, quick ? 6 : 16, quick ? 6 : 16, 32}},
                   {"W", {quick ? 4 : 14, quick ? 4 : 14, 3, 3, 32, 32}}},
                  {}});
  return list;
}

Timing time_forward(const std::function<Tensor(const Inputs&)>& f, const Inputs& inputs,
                    const TimingPolicy& policy) {
  return time_work(
      [&] {
        NoGradGuard no_grad;
        (void)f(inputs);
      },
      policy);
}

Timing time_forward_backward(const std::function<Tensor(const Inputs&)>& f, const Inputs& inputs,
                             const TimingPolicy& policy) {
  Inputs leaves;
  for (const auto& [name, t] : inputs) leaves[name] = t.detach().requires_grad_();
  return time_work([&] { sum(f(leaves)).backward(); }, policy);
}

}  // namespace

FormulaReport run_formula_benchmarks(int threads, bool quick) {
  const ThreadCountGuard thread_count(threads);
  const BenchPolicies policies = quick ? BenchPolicies::quick() : BenchPolicies::standard();
  FormulaReport report;
  report.threads = threads;
  report.peak = measure_fma_peak(threads, policies.peak);
  Generator gen(7);
  for (const Case& c : cases(quick)) {
    const Formula formula(c.text, {.constants = c.constants});
    Inputs inputs;
    for (const auto& [name, shape] : c.shapes) inputs[name] = Tensor::normal(shape, 0, 1, gen);
    FormulaRow row;
    row.name = c.name;
    row.formula = formula.to_string();
    const std::string kernel = formula.kernels(c.shapes).back();
    row.runs_on = kernel.empty() ? "general loop nest" : kernel;
    row.flops = formula.shapes(c.shapes).flops;
    const auto run = [&](const Inputs& t) { return formula(t); };
    row.forward = time_forward(run, inputs, policies.layers);
    row.forward_backward = time_forward_backward(run, inputs, policies.layers);
    if (c.builtin) {
      row.has_builtin = true;
      row.builtin_forward = time_forward(c.builtin, inputs, policies.layers);
      row.builtin_forward_backward = time_forward_backward(c.builtin, inputs, policies.layers);
    }
    report.rows.push_back(row);
  }
  return report;
}

std::string format_formula_report(const FormulaReport& r) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  out << "Formulas beside the built-in ops, " << r.threads << " threads; FMA peak " << r.peak.gflops
      << " GFLOP/s (" << r.peak.isa << ")\n";
  for (const FormulaRow& row : r.rows) {
    const double gflops = row.flops / row.forward.median_seconds / 1e9;
    out << "\n"
        << row.name << "\n  " << row.formula << "\n  runs on: " << row.runs_on << "\n"
        << "  forward " << row.forward.median_seconds * 1e3 << " ms (" << gflops << " GFLOP/s, "
        << 100 * gflops / r.peak.gflops << "% of peak), forward + backward "
        << row.forward_backward.median_seconds * 1e3 << " ms\n";
    if (row.has_builtin) {
      out << "  built-in op: forward " << row.builtin_forward.median_seconds * 1e3
          << " ms, forward + backward " << row.builtin_forward_backward.median_seconds * 1e3
          << " ms; formula / built-in: "
          << row.forward.median_seconds / row.builtin_forward.median_seconds << " and "
          << row.forward_backward.median_seconds / row.builtin_forward_backward.median_seconds
          << "\n";
    }
  }
  return out.str();
}

std::string format_formula_report_json(const FormulaReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const FormulaRow& row : r.rows) {
    nlohmann::json j = {{"name", row.name},
                        {"formula", row.formula},
                        {"runs_on", row.runs_on},
                        {"flops", row.flops},
                        {"forward_seconds", row.forward.median_seconds},
                        {"forward_backward_seconds", row.forward_backward.median_seconds}};
    if (row.has_builtin) {
      j["builtin_forward_seconds"] = row.builtin_forward.median_seconds;
      j["builtin_forward_backward_seconds"] = row.builtin_forward_backward.median_seconds;
    }
    rows.push_back(j);
  }
  return nlohmann::json{{"threads", r.threads},
                        {"fma_peak_gflops", r.peak.gflops},
                        {"isa", r.peak.isa},
                        {"formulas", rows}}
             .dump(2) +
         "\n";
}

}  // namespace cnn::bench
