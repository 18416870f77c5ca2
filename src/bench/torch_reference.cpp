// The JSON contract with bench/torch_bench.py (documented at the top of that script).
#include "cnn/bench/torch_reference.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "bench/case_json.h"
#include "bench/subprocess.h"

namespace cnn::bench {
namespace {

using nlohmann::json;

// The script's exit status when torch cannot be imported.
constexpr int kTorchMissingExit = 3;

json spec_json(const TorchSpec& spec) {
  json j;
  j["threads"] = spec.threads;
  j["policies"] = {{"gemm", policy_json<json>(spec.policies.gemm)},
                   {"layers", policy_json<json>(spec.policies.layers)},
                   {"models", policy_json<json>(spec.policies.models)}};
  j["gemm"] = json::array();
  for (const GemmCase& g : spec.gemm)
    j["gemm"].push_back({{"m", g.m}, {"n", g.n}, {"k", g.k}, {"threads", g.threads}});
  j["layers"] = json::array();
  for (const ConvCase& c : spec.layers) {
    json layer = json::object();
    add_conv_fields(c, layer);
    j["layers"].push_back(layer);
  }
  j["models"] = json::array();
  for (const ModelCase& m : spec.models)
    j["models"].push_back({{"model", m.model},
                           {"mode", mode_name(m.mode)},
                           {"batch", m.batch},
                           {"height", m.height},
                           {"width", m.width},
                           {"channels", m.channels},
                           {"classes", m.classes}});
  return j;
}

// Results that parse as JSON but do not answer the spec.
struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A positive, finite number of seconds; anything else means the script misbehaved.
double seconds_from(const json& j, const char* key) {
  const double s = j.at(key).get<double>();
  if (!(s > 0) || s > 1e9)
    throw Malformed(std::string(key) + " is not a positive time: " + j.at(key).dump());
  return s;
}

TorchFigure figure_from(const json& j) {
  TorchFigure f;
  f.timing.median_seconds = seconds_from(j, "median_seconds");
  f.timing.min_seconds = seconds_from(j, "min_seconds");
  f.timing.reps = j.at("reps").get<int>();
  f.layout = j.at("layout").get<std::string>();
  const json& by_layout = j.at("by_layout");
  if (by_layout.contains("nchw")) f.nchw_seconds = seconds_from(by_layout, "nchw");
  if (by_layout.contains("channels_last"))
    f.channels_last_seconds = seconds_from(by_layout, "channels_last");
  return f;
}

TorchResults results_from(const json& j, const TorchSpec& spec) {
  TorchResults r;
  r.version = j.at("torch_version").get<std::string>();
  for (const json& g : j.at("gemm")) r.gemm.push_back(figure_from(g));
  for (const json& l : j.at("layers"))
    r.layers.push_back({figure_from(l.at("forward")), figure_from(l.at("forward_backward"))});
  for (const json& m : j.at("models"))
    r.models.push_back({figure_from(m), m.at("parameters").get<int64_t>()});
  if (r.gemm.size() != spec.gemm.size() || r.layers.size() != spec.layers.size() ||
      r.models.size() != spec.models.size())
    throw Malformed("the number of results differs from the number of cases");
  return r;
}

}  // namespace

TorchResults run_torch(const TorchRunner& runner, const TorchSpec& spec) {
  SubprocessResult run;
  try {
    // -B: no __pycache__ folders in the source tree.
    run = run_subprocess({runner.python, "-B", runner.script}, spec_json(spec).dump());
  } catch (const Error& e) {
    throw TorchError(std::string("PyTorch not measured: ") + e.what(), true);
  }
  json j;
  const bool parsed = [&] {
    try {
      j = json::parse(run.output);
      return j.is_object();
    } catch (const json::exception&) {
      return false;
    }
  }();
  if (parsed && j.contains("error")) {
    const std::string error =
        j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump();
    throw TorchError("PyTorch not measured: " + error, run.exit_code == kTorchMissingExit);
  }
  if (run.exit_code != 0)
    throw TorchError("PyTorch not measured: '" + runner.python + " " + runner.script +
                         "' exited with status " + std::to_string(run.exit_code) +
                         " (its messages, if any, are on standard error above)",
                     false);
  if (!parsed)
    throw TorchError("PyTorch not measured: " + runner.script + " did not print a JSON object",
                     false);
  try {
    return results_from(j, spec);
  } catch (const std::exception& e) {  // json::exception or Malformed
    throw TorchError(
        "PyTorch not measured: unexpected results from " + runner.script + ": " + e.what(), false);
  }
}

}  // namespace cnn::bench
