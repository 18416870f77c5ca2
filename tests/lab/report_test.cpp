// report.html from the experiment folders present, result.json round trips, and the lab's
// refusals (unknown experiment, a folder that is not the lab's, bad options).
#include "cnn/lab/report.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cnn/error.h"
#include "cnn/lab/lecture.h"
#include "lab/lab_testing.h"

namespace cnn::lab {
namespace {

class Report : public testing::LabTest {
 protected:
  std::string report() const {
    std::ifstream in(out_ / "report.html");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

TEST_F(Report, GathersTheExperimentsPresent) {
  run("gates");
  const std::string html = report();
  // The quotes as the lecture writes them, the pictures by relative path, the verdict.
  EXPECT_NE(html.find("DNNs generalize digital circuits."), std::string::npos);
  EXPECT_NE(html.find(lecture_quote("and_unit").display), std::string::npos);
  EXPECT_NE(html.find("<img src=\"gates/learned-loss.png\""), std::string::npos);
  EXPECT_NE(html.find("href=\"gates/verdict.txt\""), std::string::npos);
  EXPECT_NE(html.find("class=\"held\""), std::string::npos);
  // Experiments not run yet say how to run them.
  EXPECT_NE(html.find("Not run yet: <code>cnn lab depth --out "), std::string::npos);
  // The page checks its own pictures once loaded (the browser test runs it).
  EXPECT_NE(html.find("id=\"lab-status\" data-state=\"pending\""), std::string::npos);

  const ExperimentResult back = read_result((out_ / "gates").string());
  EXPECT_EQ(back.verdict(), result_.verdict());
  EXPECT_EQ(back.pictures.size(), result_.pictures.size());
}

TEST_F(Report, EscapesTextAndRefusesBrokenResults) {
  testing::fs::create_directories(out_ / "gates");
  { std::ofstream(out_ / "gates" / "result.json") << "{\"experiment\": \"gates\""; }
  try {
    write_report(out_.string());
    ADD_FAILURE() << "a truncated result.json was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gates/result.json"), std::string::npos) << e.what();
  }
  {
    std::ofstream(out_ / "gates" / "result.json")
        << R"({"experiment": "gates", "title": "a <b> & \"c\"", "command": "", "setup": "",
              "claims": [], "notes": [], "pictures": [{"file": "x y.png", "caption": ""}],
              "data_files": [], "measurements": {}})";
  }
  write_report(out_.string());
  const std::string html = report();
  EXPECT_NE(html.find("a &lt;b&gt; &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(html.find("src=\"gates/x%20y.png\""), std::string::npos);
}

TEST_F(Report, RefusesUnknownExperimentsForeignFoldersAndBadOptions) {
  EXPECT_THROW(run_experiment("nonsense", quick()), Error);
  testing::fs::create_directories(out_ / "gates");
  { std::ofstream(out_ / "gates" / "precious.txt") << "not the lab's"; }
  try {
    run_experiment("gates", quick());
    ADD_FAILURE() << "a foreign folder was replaced";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a lab experiment folder"), std::string::npos);
  }
  EXPECT_TRUE(testing::fs::exists(out_ / "gates" / "precious.txt"));
  LabOptions bad = quick();
  bad.epochs = -1;
  EXPECT_THROW(validate(bad), Error);
  // A lab folder from an earlier run is replaced.
  testing::fs::remove_all(out_ / "gates");
  run_experiment("gates", quick());
  { std::ofstream(out_ / "gates" / "stale.txt") << "left over"; }
  run_experiment("gates", quick());
  EXPECT_FALSE(testing::fs::exists(out_ / "gates" / "stale.txt"));
}

}  // namespace
}  // namespace cnn::lab
