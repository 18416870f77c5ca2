// The contracts with bench/export_onnx.py and bench/ort/ort_run.js (documented at the top of
// each). Their standard error passes through to ours; a failure becomes an OrtError.
#include "cnn/bench/ort_reference.h"

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "bench/subprocess.h"

namespace cnn::bench {
namespace {

using nlohmann::json;

// The exit status of both scripts when their library (torch, onnxruntime-node) is missing.
constexpr int kLibraryMissingExit = 3;

std::string command_text(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& a : argv) {
    if (!text.empty()) text.push_back(' ');
    text.append(a);
  }
  return text;
}

// Runs `argv` and returns its standard output as a JSON object; an {"error"} answer, a
// failure to start or a non-zero exit raise OrtError (unavailable for the first two, and for
// exit status 3).
json run_json(const std::vector<std::string>& argv) {
  SubprocessResult r;
  try {
    r = run_subprocess(argv, "");
  } catch (const Error& e) {
    throw OrtError(e.what(), true);
  }
  json j;
  try {
    j = json::parse(r.output);
  } catch (const json::exception&) {
    j = nullptr;
  }
  if (j.is_object() && j.contains("error"))
    throw OrtError(j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump(),
                   r.exit_code == kLibraryMissingExit);
  if (r.exit_code != 0)
    throw OrtError("'" + command_text(argv) + "' exited with status " +
                       std::to_string(r.exit_code) + " (its messages are on standard error above)",
                   false);
  if (!j.is_object()) throw OrtError("'" + command_text(argv) + "' did not print JSON", false);
  return j;
}

template <class Read>
auto read_or_fail(const std::string& script, Read read) {
  try {
    return read();
  } catch (const json::exception& e) {
    throw OrtError("unexpected output from " + script + ": " + e.what(), false);
  }
}

std::string number(double value) {
  return json(value).dump();  // shortest exact form, no locale
}

}  // namespace

OrtVersions ort_versions(const OrtRunner& runner) {
  const json j = run_json({runner.node, runner.script, "version"});
  return read_or_fail(runner.script, [&] {
    return OrtVersions{.ort = j.at("ort_version").get<std::string>(),
                       .node = j.at("node_version").get<std::string>()};
  });
}

OnnxExport export_onnx_models(const OrtRunner& runner, const std::vector<std::string>& models,
                              const Shape& image, int64_t classes, int opset,
                              const std::string& dir) {
  CNN_CHECK(image.size() == 3, "export_onnx_models: the image is [H, W, C], got ",
            to_string(image));
  // -B: no __pycache__ folders in the source tree.
  std::vector<std::string> argv = {runner.python,
                                   "-B",
                                   runner.export_script,
                                   "--out",
                                   dir,
                                   "--opset",
                                   std::to_string(opset),
                                   "--height",
                                   std::to_string(image[0]),
                                   "--width",
                                   std::to_string(image[1]),
                                   "--channels",
                                   std::to_string(image[2]),
                                   "--classes",
                                   std::to_string(classes)};
  argv.insert(argv.end(), models.begin(), models.end());
  const json j = run_json(argv);
  OnnxExport result = read_or_fail(runner.export_script, [&] {
    OnnxExport e{.torch_version = j.at("torch_version").get<std::string>(),
                 .opset = j.at("opset").get<int>(),
                 .models = {}};
    for (const json& m : j.at("models"))
      e.models.push_back({.model = m.at("model").get<std::string>(),
                          .file = m.at("file").get<std::string>(),
                          .parameters = m.at("parameters").get<int64_t>()});
    return e;
  });
  if (result.models.size() != models.size())
    throw OrtError(runner.export_script + " exported " + std::to_string(result.models.size()) +
                       " models of " + std::to_string(models.size()),
                   false);
  return result;
}

Timing time_ort(const OrtRunner& runner, const std::string& file, const Shape& nchw, int threads,
                const TimingPolicy& policy) {
  std::string shape;
  for (int64_t d : nchw) {
    if (!shape.empty()) shape.push_back('x');
    shape.append(std::to_string(d));
  }
  const json j = run_json(
      {runner.node, runner.script, "bench", "--model", file, "--shape", shape, "--threads",
       std::to_string(threads), "--warmup", std::to_string(policy.warmup_reps), "--warmup-seconds",
       number(policy.warmup_seconds), "--iters", std::to_string(policy.min_reps), "--min-seconds",
       number(policy.budget_seconds), "--max-iters", std::to_string(policy.max_reps)});
  return read_or_fail(runner.script, [&] {
    return Timing{.median_seconds = j.at("ms").at("median").get<double>() / 1000.0,
                  .min_seconds = j.at("ms").at("min").get<double>() / 1000.0,
                  .reps = j.at("iters").get<int>()};
  });
}

TemporaryFolder::TemporaryFolder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cnn-bench-onnx-XXXXXX").string();
  CNN_CHECK(::mkdtemp(pattern.data()) != nullptr, "cannot make a temporary folder ", pattern);
  path_ = pattern;
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ignored;  // a destructor must not throw; a leftover folder is harmless
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace cnn::bench
