// What `cnn train --resume`, `cnn eval` and `cnn predict` do with saved state that is out of
// range: a checkpoint whose state or weights were altered (its checksum recomputed, as any
// program writing the format would) is refused with the field, its value and its range; and
// the best accuracy is tracked across a resume.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cnn/train/checkpoint.h"
#include "support/process.h"

namespace cnn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_cnn;

const char* kQuick =
    "train --train-limit 256 --test-limit 100 --batch-size 64 --threads 2 --seed 3 "
    "--schedule constant --lr 0.05 ";

// One trained run, shared by the tests that alter copies of it.
class SavedState : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("cnn_saved_state_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    const auto r = run_cnn(std::string(kQuick) + "--epochs 1 --out " + (root_ / "run").string());
    ASSERT_EQ(r.code, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // A copy of the run whose latest checkpoint's state and tensors `alter` changed.
  static std::string altered(const std::string& name,
                             const std::function<void(json&, train::Checkpoint&)>& alter) {
    const fs::path copy = root_ / name;
    fs::remove_all(copy);
    fs::copy(root_ / "run", copy, fs::copy_options::recursive);
    fs::remove(copy / "checkpoint-best.ckpt");
    const std::string path = (copy / "checkpoint-latest.ckpt").string();
    train::Checkpoint c = train::load_checkpoint(path);
    json state = json::parse(c.state);
    alter(state, c);
    c.state = state.dump();
    train::save_checkpoint(path, c);
    return copy.string();
  }

  static fs::path root_;
};
fs::path SavedState::root_;

void expect_error(const testing::ProcessResult& r, const std::string& fragment) {
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("unexpected error"), std::string::npos) << r.output;
}

TEST_F(SavedState, ResumeRefusesPositionsAndCountsOutOfRange) {
  const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      // absolute ranges, checked when any checkpoint is read (train::load_checkpoint)
      {[](json& s) { s["epoch"] = -3; }, "field 'epoch' is -3, not an integer in [0, 100000]"},
      {[](json& s) { s["threads"] = 100000; }, "field 'threads' is 100000"},
      {[](json& s) { s["partial"]["seen"] = -1; }, "field 'partial.seen' is -1"},
      {[](json& s) { s["best_accuracy"] = 7.5; }, "field 'best_accuracy' is 7.5"},
      {[](json& s) { s["history"] = json::array(); }, "one row per epoch done (1)"},
      {[](json& s) { s.erase("epoch"); }, "lacks its config, threads or epoch"},
      // ranges of this run, checked by --resume
      {[](json& s) {
         s["batch"] = 7;
         s["partial"]["seen"] = 7;
       },
       "batch is 7, outside [0, 3]"},
      {[](json& s) {
         s["batch"] = 1;
         s["partial"]["seen"] = 1000;
       },
       "partial.seen is 1000, outside [0, "},
      {[](json& s) { s["config"]["seed"] = -1; }, "field 'seed' has the wrong type (-1)"},
      {[](json& s) { s["config"]["epochs"] = 1e12; }, "field 'epochs' has the wrong type"},
      {[](json& s) { s["config"]["lr"] = 1e-60; }, "lr 1e-60 is not representable in float"},
      {[](json& s) { s["normalization"]["std"] = json::array({0.0}); },
       "field 'normalization.std[0]' is 0.0"},
  };
  int i = 0;
  for (const auto& [alter, fragment] : cases) {
    const std::string run = altered("resume" + std::to_string(i++),
                                    [&a = alter](json& s, train::Checkpoint&) { a(s); });
    expect_error(run_cnn("train --resume " + run + " --epochs 2"), fragment);
  }
}

TEST_F(SavedState, ResumeRefusesAScheduleNotAtTheRecordedStep) {
  const std::string run = altered("schedule", [](json&, train::Checkpoint& c) {
    Tensor position = c.tensors.at("scheduler.position");  // shares the checkpoint's storage
    position.data_i64()[0] = 2;
  });
  expect_error(run_cnn("train --resume " + run + " --epochs 2"),
               "schedule position 2 is not the step it records, epoch 1 x 4 steps + step 0");
}

TEST_F(SavedState, EvalAndPredictRefuseShapesAndClassesOutOfRangeAndNonFiniteWeights) {
  const std::vector<std::pair<std::function<void(json&, train::Checkpoint&)>, std::string>> cases =
      {
          {[](json& s, train::Checkpoint&) {
             s["input_shape"] = {100000, 100000, 1};
           },
           "rows 100000 of image shape [100000, 100000, 1] are outside [1, 16384]"},
          {[](json& s, train::Checkpoint&) {
             s["input_shape"] = {16384, 16384, 1};
           },
           "has 268435456 elements, over the limit of 67108864"},
          {[](json& s, train::Checkpoint&) { s["classes"] = json::array(); },
           "'classes' must list 1 to 1000000 class names"},
          {[](json& s, train::Checkpoint&) {
             s["normalization"]["mean"] = {0.1, 0.2};
           },
           "'normalization.mean' must hold one number per channel (1)"},
          {[](json&, train::Checkpoint& c) {
             Tensor weight = c.tensors.at("model.fc.weight");
             weight.data()[5] = std::numeric_limits<float>::infinity();
           },
           "tensor 'model.fc.weight' holds an infinity at element [0, 5] of [10, 64]"},
      };
  int i = 0;
  for (const auto& [alter, fragment] : cases) {
    const std::string run = altered("eval" + std::to_string(i++), alter);
    expect_error(run_cnn("eval " + run + " --limit 10"), fragment);
    expect_error(run_cnn("predict " + run +
                         " /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --limit 1"),
                 fragment);
  }
}

// metrics.csv's test accuracies, one per epoch.
std::vector<double> test_accuracies(const fs::path& run) {
  std::ifstream in(run / "metrics.csv");
  std::string line;
  std::getline(in, line);
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string cell;
    for (int column = 0; column < 5; ++column) std::getline(row, cell, ',');
    out.push_back(std::stod(cell));
  }
  return out;
}

TEST_F(SavedState, BestAccuracyIsTrackedAcrossAResume) {
  const fs::path run = root_ / "best";
  fs::copy(root_ / "run", run, fs::copy_options::recursive);
  const auto state_of = [&](const char* file) {
    return json::parse(train::load_checkpoint((run / file).string()).state);
  };
  // The latest checkpoint of a finished epoch carries the best including that epoch.
  EXPECT_DOUBLE_EQ(state_of("checkpoint-latest.ckpt").at("best_accuracy").get<double>(),
                   test_accuracies(run).at(0));
  // A picture's temporary file that a killed run left: removed when the run is resumed.
  std::ofstream(run / ".loss.png.tmp-Ab12Cd") << "half a picture";
  const auto r = run_cnn("train --resume " + run.string() + " --epochs 4");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(run / ".loss.png.tmp-Ab12Cd"));
  for (const fs::directory_entry& e : fs::directory_iterator(run))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  const std::vector<double> acc = test_accuracies(run);
  ASSERT_EQ(acc.size(), 4u);
  const auto best = std::max_element(acc.begin(), acc.end());  // the first of equal bests
  const json best_state = state_of("checkpoint-best.ckpt");
  EXPECT_EQ(best_state.at("epoch").get<int64_t>(), best - acc.begin() + 1) << r.output;
  EXPECT_DOUBLE_EQ(best_state.at("best_accuracy").get<double>(), *best);
  EXPECT_DOUBLE_EQ(state_of("checkpoint-latest.ckpt").at("best_accuracy").get<double>(), *best);
  // "(best)" marks exactly the resumed epochs that beat every earlier one.
  double so_far = acc[0];
  for (size_t e = 1; e < acc.size(); ++e) {
    const std::string tag = "epoch " + std::to_string(e + 1) + "/4";
    const size_t at = r.output.find(tag);
    ASSERT_NE(at, std::string::npos) << r.output;
    const std::string line = r.output.substr(at, r.output.find('\n', at) - at);
    EXPECT_EQ(line.find("(best)") != std::string::npos, acc[e] > so_far) << line;
    so_far = std::max(so_far, acc[e]);
  }
}

}  // namespace
}  // namespace cnn
