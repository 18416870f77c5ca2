// `cnn lab` end to end: an experiment's folder, verdict and report; usage errors exit 2.
#include <gtest/gtest.h>

#include "lab/lab_testing.h"
#include "support/process.h"

namespace cnn::lab {
namespace {

using cnn::testing::run_cnn;

class LabCli : public testing::LabTest {};

TEST_F(LabCli, GatesQuickWritesItsFolderVerdictAndReport) {
  const auto r = run_cnn("lab gates --quick --threads 2 --seed 3 --out " + out_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* needle : {"[held]", "DNNs generalize digital circuits.",
                             "reproduce: cnn lab gates --quick --seed 3 --out ", "report: "})
    EXPECT_NE(r.output.find(needle), std::string::npos) << needle << "\n" << r.output;
  for (const char* file : {"gates/verdict.txt", "gates/result.json", "gates/learned-loss.png",
                           "gates/threshold-circuits.csv", "report.html"})
    EXPECT_TRUE(testing::fs::exists(out_ / file)) << file;
}

TEST_F(LabCli, UsageErrorsExitTwo) {
  const std::string out = " --out " + out_.string();
  for (const std::string args :
       {"lab", "lab nonsense", "lab gates --epochs 0", "lab gates --batch-size x",
        "lab gates --no-such-option", "lab gates depth"}) {
    const auto r = run_cnn(args + out);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
  }
  const auto r = run_cnn("lab nonsense" + out);
  EXPECT_NE(r.output.find("gradients|activations|depth|batchnorm|gates|all"), std::string::npos)
      << r.output;
  EXPECT_FALSE(testing::fs::exists(out_));
}

TEST_F(LabCli, RuntimeErrorsExitOne) {
  const auto r = run_cnn("lab gradients --quick --data " CNN_SOURCE_DIR " --out " + out_.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("cnn: error: "), std::string::npos) << r.output;
}

TEST_F(LabCli, HelpNamesTheExperiments) {
  const auto r = run_cnn("lab --help");
  EXPECT_EQ(r.code, 0);
  for (const char* needle : {"gradients", "batchnorm", "--quick", "--out", "report.html"})
    EXPECT_NE(r.output.find(needle), std::string::npos) << needle;
}

}  // namespace
}  // namespace cnn::lab
