// Running an experiment: its folder, its result.json and verdict.txt, then the report.
#include "cnn/lab/lab.h"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cnn/error.h"
#include "cnn/lab/lecture.h"
#include "cnn/lab/report.h"
#include "cnn/parallel.h"
#include "lab/experiment.h"
#include "lab/result_json.h"

namespace cnn::lab {
namespace {

namespace fs = std::filesystem;

// Written first into every experiment folder: a folder holding it may be replaced by a rerun.
constexpr const char* kMarker = ".cnn-lab-experiment";

using Runner = detail::ExperimentOutput (*)(const LabOptions&, const std::string&);

Runner runner_of(const std::string& name) {
  if (name == "gradients") return detail::run_gradients;
  if (name == "activations") return detail::run_activations;
  if (name == "depth") return detail::run_depth;
  if (name == "batchnorm") return detail::run_batchnorm;
  if (name == "gates") return detail::run_gates;
  std::string known;
  for (const std::string& n : experiment_names()) known += (known.empty() ? "" : ", ") + n;
  fail("lab: unknown experiment '", name, "'; the experiments are ", known, " (and all)");
}

// An empty folder for the experiment: a lab folder from an earlier run is removed, anything
// else in the way is refused.
std::string prepare_folder(const LabOptions& options, const std::string& name) {
  const fs::path folder = fs::path(options.out) / name;
  if (fs::exists(folder)) {
    CNN_CHECK(fs::is_directory(folder) && (fs::exists(folder / kMarker) || fs::is_empty(folder)),
              folder.string(),
              " exists and is not a lab experiment folder; choose another --out or remove it");
    fs::remove_all(folder);
  }
  fs::create_directories(folder);
  std::FILE* marker = std::fopen((folder / kMarker).c_str(), "w");
  CNN_CHECK(marker != nullptr, "lab: cannot write in ", folder.string());
  std::fclose(marker);
  return folder.string();
}

std::string command_line(const std::string& name, const LabOptions& o) {
  std::ostringstream c;
  c << "cnn lab " << name;
  if (o.quick) c << " --quick";
  if (o.epochs > 0) c << " --epochs " << o.epochs;
  if (o.train_limit > 0) c << " --train-limit " << o.train_limit;
  if (o.test_limit > 0) c << " --test-limit " << o.test_limit;
  if (o.batch_size > 0) c << " --batch-size " << o.batch_size;
  c << " --seed " << o.seed;
  if (o.data != LabOptions{}.data) c << " --data " << o.data;
  c << " --out " << o.out;
  return c.str();
}

}  // namespace

const std::vector<std::string>& experiment_names() {
  static const std::vector<std::string> names = {"gradients", "activations", "depth", "batchnorm",
                                                 "gates"};
  return names;
}

void validate(const LabOptions& o) {
  CNN_CHECK(!o.out.empty(), "lab: --out must name a folder");
  CNN_CHECK(o.epochs >= 0, "lab: --epochs must be positive (0: the default), got ", o.epochs);
  CNN_CHECK(o.train_limit >= 0, "lab: --train-limit must be positive (0: the default), got ",
            o.train_limit);
  CNN_CHECK(o.test_limit >= 0, "lab: --test-limit must be positive (0: the default), got ",
            o.test_limit);
  CNN_CHECK(o.batch_size >= 0, "lab: --batch-size must be positive (0: the default), got ",
            o.batch_size);
  CNN_CHECK(o.threads >= 0, "lab: --threads must be zero or positive, got ", o.threads);
}

std::string ExperimentResult::verdict() const {
  std::ostringstream v;
  v << title << "\n" << setup << "\n\n";
  for (const Claim& c : claims) {
    const LectureQuote& q = lecture_quote(c.quote_id);
    v << (c.held ? "[held]         " : "[did not hold] ") << "\""
      << (q.display.empty() ? q.text : q.display) << "\"\n";
    v << "    " << c.finding << "\n";
  }
  for (const std::string& n : notes) v << "[note] " << n << "\n";
  v << "\nreproduce: " << command << "\n";
  return v.str();
}

ExperimentResult run_experiment(const std::string& name, const LabOptions& options) {
  const Runner runner = runner_of(name);
  validate(options);
  if (options.threads > 0) set_num_threads(static_cast<int>(options.threads));
  const std::string folder = prepare_folder(options, name);
  detail::ExperimentOutput out = runner(options, folder);
  out.result.experiment = name;
  out.result.command = command_line(name, options);
  detail::write_file(folder, "result.json",
                     detail::result_to_json(out.result, out.measurements).dump(1) + "\n");
  detail::write_file(folder, "verdict.txt", out.result.verdict());
  write_report(options.out);
  return out.result;
}

}  // namespace cnn::lab
