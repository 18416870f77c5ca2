// Running lab experiments from tests: a fresh output folder per test, and the measurements an
// experiment wrote to its result.json.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cnn/lab/lab.h"

namespace cnn::lab::testing {

namespace fs = std::filesystem;

class LabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    out_ = fs::temp_directory_path() /
           ("cnn_lab_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(out_);
  }
  void TearDown() override { fs::remove_all(out_); }

  LabOptions quick() const {
    LabOptions o;
    o.out = out_.string();
    o.quick = true;
    o.threads = 2;
    return o;
  }
  // Runs `name` quick and returns its result.json.
  nlohmann::json run(const std::string& name) {
    result_ = run_experiment(name, quick());
    std::ifstream in(out_ / name / "result.json");
    EXPECT_TRUE(in.good()) << "no result.json for " << name;
    nlohmann::json j;
    in >> j;
    return j;
  }
  // The claim of `result_` quoting `quote_id`; fails the test when there is none.
  const Claim& claim(const std::string& quote_id) const {
    for (const Claim& c : result_.claims)
      if (c.quote_id == quote_id) return c;
    ADD_FAILURE() << "no claim quoting " << quote_id;
    static const Claim none;
    return none;
  }
  // Every picture of the result is a PNG of some size, and verdict.txt names every claim.
  void expect_files(const std::string& name) const {
    EXPECT_FALSE(result_.pictures.empty());
    for (const Picture& p : result_.pictures) {
      const fs::path path = out_ / name / p.file;
      ASSERT_TRUE(fs::exists(path)) << path;
      EXPECT_GT(fs::file_size(path), 5000u) << path;
      std::ifstream png(path, std::ios::binary);
      char magic[4] = {};
      png.read(magic, 4);
      EXPECT_EQ(std::string(magic + 1, 3), "PNG") << path;
    }
    for (const std::string& f : result_.data_files) EXPECT_TRUE(fs::exists(out_ / name / f)) << f;
    std::ifstream verdict(out_ / name / "verdict.txt");
    std::string text((std::istreambuf_iterator<char>(verdict)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, result_.verdict());
    EXPECT_TRUE(fs::exists(out_ / "report.html"));
  }

  fs::path out_;
  ExperimentResult result_;
};

// A JSON number, or NaN for null (non-finite values are written as null).
inline double value(const nlohmann::json& v) {
  return v.is_number() ? v.get<double>() : NAN;
}

// The entry of `runs` whose "setting" is `setting` (and "depth" is `depth`, when given).
inline const nlohmann::json& find_run(const nlohmann::json& runs, const std::string& setting,
                                      int64_t depth = -1) {
  for (const nlohmann::json& r : runs)
    if (r.at("setting") == setting && (depth < 0 || r.at("depth") == depth)) return r;
  ADD_FAILURE() << "no run of " << setting << " at depth " << depth;
  static const nlohmann::json none = nlohmann::json::object();
  return none;
}

}  // namespace cnn::lab::testing
