// `cnn formula EXPR --shape L=2x28x28x16 ...`: a layer written in the lecture's notation, with
// its inferred shapes and index ranges, FLOPs, how it runs, the derived gradient formulas
// (--grad) and its speed (--bench), beside the machine's FMA peak measured in the same run.
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/bench/measure.h"
#include "cnn/bench/timing.h"
#include "cnn/formula.h"
#include "cnn/generator.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/reduce.h"
#include "cnn/parallel.h"
#include "commands.h"

namespace cnn::tool {
namespace {

struct FormulaConfig {
  std::string text;
  std::vector<std::string> shapes;     // NAME=AxBxC
  std::vector<std::string> constants;  // NAME=VALUE
  bool grad = false;
  bool bench = false;
  bool json = false;
};

// "NAME=VALUE" -> (NAME, VALUE); CLI::ValidationError naming the option otherwise.
std::pair<std::string, std::string> split_assignment(const std::string& text, const char* option) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw CLI::ValidationError(option, "expects NAME=VALUE, got '" + text + "'");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

Shape parse_shape(const std::string& name, const std::string& text) {
  Shape shape;
  if (text.empty()) return shape;  // a scalar
  size_t start = 0;
  while (true) {
    const size_t end = text.find('x', start);
    const std::string part = text.substr(start, end == std::string::npos ? end : end - start);
    if (part.empty() || part.size() > 9 ||
        part.find_first_not_of("0123456789") != std::string::npos) {
      throw CLI::ValidationError(
          "--shape", name + "=" + text + ": a shape is extents joined by x, e.g. 2x28x28x16");
    }
    shape.push_back(std::stoll(part));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return shape;
}

std::string shape_text(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string text;
  for (size_t k = 0; k < shape.size(); ++k) text += (k ? "x" : "") + std::to_string(shape[k]);
  return text;
}

struct BenchResult {
  double forward_seconds = 0, backward_seconds = 0, peak_gflops = 0;
  std::string isa;
  // A formula that runs on kernels, on the general loop nest instead (what lowering buys);
  // negative when not measured (nothing lowered, or too much work for the interpreter).
  double loop_nest_forward_seconds = -1;
};

// The interpreted loop nest does about 0.1 GFLOP/s: larger formulas would take minutes.
constexpr double kMaxLoopNestFlops = 2e8;

BenchResult bench(const Formula& formula, const Formula& loop_nest,
                  const std::map<std::string, Shape>& shapes, bool lowered, double flops) {
  Generator gen(1);
  std::map<std::string, Tensor> inputs;
  for (const auto& [name, shape] : shapes) inputs[name] = Tensor::normal(shape, 0, 1, gen);
  const bench::TimingPolicy policy{.warmup_reps = 1,
                                   .warmup_seconds = 0.2,
                                   .min_reps = 3,
                                   .max_reps = 50,
                                   .budget_seconds = 1.0};
  BenchResult result;
  result.forward_seconds = bench::time_work(
                               [&] {
                                 NoGradGuard no_grad;
                                 (void)formula(inputs);
                               },
                               policy)
                               .median_seconds;
  std::map<std::string, Tensor> leaves;
  for (const auto& [name, t] : inputs) leaves[name] = t.detach().requires_grad_();
  result.backward_seconds = bench::time_work(
                                [&] {
                                  const Tensor y = formula(leaves);
                                  sum(y).backward();
                                },
                                policy)
                                .median_seconds;
  if (lowered && flops <= kMaxLoopNestFlops) {
    result.loop_nest_forward_seconds = bench::time_work(
                                           [&] {
                                             NoGradGuard no_grad;
                                             (void)loop_nest(inputs);
                                           },
                                           {.warmup_reps = 0,
                                            .warmup_seconds = 0,
                                            .min_reps = 1,
                                            .max_reps = 3,
                                            .budget_seconds = 1.0})
                                           .median_seconds;
  }
  const bench::FmaPeak peak = bench::measure_fma_peak(num_threads(), {});
  result.peak_gflops = peak.gflops;
  result.isa = peak.isa;
  return result;
}

int run_formula(const FormulaConfig& c) {
  FormulaOptions options;
  for (const std::string& text : c.constants) {
    const auto [name, value] = split_assignment(text, "--const");
    try {
      size_t used = 0;
      options.constants[name] = std::stod(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      throw CLI::ValidationError("--const", name + "=" + value + ": the value is not a number");
    }
  }
  std::map<std::string, Shape> shapes;
  for (const std::string& text : c.shapes) {
    const auto [name, value] = split_assignment(text, "--shape");
    if (shapes.contains(name)) throw CLI::ValidationError("--shape", name + " is given twice");
    shapes[name] = parse_shape(name, value);
  }
  const Formula formula(c.text, options);
  for (const std::string& input : formula.inputs()) {
    if (!shapes.contains(input)) {
      throw CLI::ValidationError(
          "--shape",
          "the formula reads " + input + ": give its shape with --shape " + input + "=AxBx...");
    }
  }
  const FormulaShapes result = formula.shapes(shapes);
  const std::vector<std::string> kernels = formula.kernels(shapes);
  const std::string gradients = c.grad ? formula.gradients(shapes) : "";
  const std::vector<std::string> gradient_kernels =
      c.grad ? formula.gradient_kernels(shapes) : std::vector<std::string>{};
  BenchResult timing;
  if (c.bench) {
    FormulaOptions general = options;
    general.lower = false;
    bool lowered = false;
    for (const std::string& kernel : kernels) lowered = lowered || !kernel.empty();
    timing = bench(formula, Formula(c.text, general), shapes, lowered, result.flops);
  }

  if (c.json) {
    nlohmann::json out;
    out["formula"] = formula.to_string();
    for (const auto& [name, shape] : shapes) out["inputs"][name] = shape;
    for (const auto& [name, shape] : result.tensors) out["results"][name] = shape;
    out["index_ranges"] = result.index_ranges;
    out["flops"] = result.flops;
    out["kernels"] = kernels;
    if (c.grad) {
      out["gradients"] = gradients;
      out["gradient_kernels"] = gradient_kernels;
    }
    if (c.bench) {
      out["bench"] = {
          {"forward_seconds", timing.forward_seconds},
          {"forward_backward_seconds", timing.backward_seconds},
          {"forward_gflops", result.flops / timing.forward_seconds / 1e9},
          {"fma_peak_gflops", timing.peak_gflops},
          {"isa", timing.isa},
          {"loop_nest_forward_seconds", timing.loop_nest_forward_seconds < 0
                                            ? nlohmann::json(nullptr)
                                            : nlohmann::json(timing.loop_nest_forward_seconds)},
          {"threads", num_threads()}};
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("formula:  %s\n", formula.to_string().c_str());
  std::string inputs;
  for (const std::string& name : formula.inputs()) {
    inputs += (inputs.empty() ? "" : ", ") + name + " " + shape_text(shapes.at(name));
  }
  std::printf("inputs:   %s\n", inputs.c_str());
  for (const auto& [name, shape] : result.tensors) {
    std::printf("%s %s %s\n", name == formula.output() ? "output:  " : "computes:", name.c_str(),
                shape_text(shape).c_str());
  }
  std::string ranges;
  for (const auto& [name, range] : result.index_ranges) {
    ranges += (ranges.empty() ? "" : ", ") + name + " < " + std::to_string(range);
  }
  std::printf("indices:  %s\n", ranges.c_str());
  std::printf("flops:    %.6g (forward, a multiply-add counted as 2)\n", result.flops);
  for (const std::string& kernel : kernels) {
    std::printf("runs on:  %s\n", kernel.empty() ? "the general loop nest" : kernel.c_str());
  }
  if (c.grad) {
    std::printf("gradients:\n");
    std::istringstream lines(gradients);
    size_t k = 0;
    for (std::string line; std::getline(lines, line); ++k) {
      const std::string& on = k < gradient_kernels.size() ? gradient_kernels[k] : "";
      std::printf("  %s\n      runs on: %s\n", line.c_str(),
                  on.empty() ? "the general loop nest" : on.c_str());
    }
  }
  if (c.bench) {
    const double gflops = result.flops / timing.forward_seconds / 1e9;
    std::printf(
        "speed:    forward %.3f ms (%.2f GFLOP/s, %.1f%% of the %.0f GFLOP/s %s FMA peak on "
        "%d threads), forward + backward %.3f ms\n",
        timing.forward_seconds * 1e3, gflops, 100 * gflops / timing.peak_gflops, timing.peak_gflops,
        timing.isa.c_str(), num_threads(), timing.backward_seconds * 1e3);
    if (timing.loop_nest_forward_seconds >= 0) {
      std::printf(
          "          the same formula on the loop nest (no kernels): forward %.3f ms, %.0fx "
          "slower\n",
          timing.loop_nest_forward_seconds * 1e3,
          timing.loop_nest_forward_seconds / timing.forward_seconds);
    }
  }
  return 0;
}

}  // namespace

Run add_formula_command(CLI::App& app) {
  auto config = std::make_shared<FormulaConfig>();
  CLI::App* cmd = app.add_subcommand(
      "formula",
      "Analyze a layer written in the lecture's index notation: shapes, FLOPs, gradients, speed");
  cmd->add_option("EXPR", config->text,
                  "the formula, e.g. \"Y[b,x,y,j] = W[dx,dy,i,j] * L[b,x+dx,y+dy,i]\" "
                  "(docs/FORMULAS.md)")
      ->required();
  cmd->add_option("--shape", config->shapes, "an input's shape, NAME=AxBx... (repeat per input)");
  cmd->add_option("--const", config->constants, "a constant the formula names, NAME=VALUE");
  cmd->add_flag("--grad", config->grad,
                "print the derived gradient formulas, each with what runs it");
  cmd->add_flag("--bench", config->bench,
                "time forward and forward + backward on random inputs, beside the FMA peak");
  cmd->add_flag("--json", config->json, "print JSON");
  return [config] { return run_formula(*config); };
}

}  // namespace cnn::tool
