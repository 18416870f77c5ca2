// The `cnn` program's contract with a shell: usage errors exit 2 with a message and a hint,
// runtime errors exit 1 naming what was wrong, --help exits 0.
#include <gtest/gtest.h>

#include <string>

#include "support/process.h"

namespace {

using Result = cnn::testing::ProcessResult;

Result run(const std::string& args) {
  return cnn::testing::run_cnn(args);
}

void expect_usage_error(const std::string& args, const std::string& needle) {
  const Result r = run(args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << args << "\n" << r.output;
  EXPECT_NE(r.output.find("--help"), std::string::npos) << args << "\n" << r.output;
}

TEST(Cli, UsageErrorsExitTwo) {
  expect_usage_error("", "A subcommand is required");
  expect_usage_error("frobnicate", "frobnicate");
  expect_usage_error("train --bogus", "--bogus");
  expect_usage_error("train --epochs -1",
                     "--epochs: must be a whole number in [1, 100000], got '-1'");
  expect_usage_error("train --lr abc", "--lr: must be a positive number, got 'abc'");
  expect_usage_error("train --batch-size", "--batch-size");
  expect_usage_error("train --model resnet21", "unknown model 'resnet21'");
  expect_usage_error("train --schedule linear", "--schedule: must be one of");
}

TEST(Cli, HelpExitsZeroAndListsOptions) {
  const Result r = run("train --help");
  EXPECT_EQ(r.code, 0);
  for (const char* option : {"--model", "--data", "--epochs", "--batch-size", "--lr", "--seed",
                             "--threads", "--train-limit"})
    EXPECT_NE(r.output.find(option), std::string::npos) << option;
}

TEST(Cli, RuntimeErrorsExitOneAndSayWhat) {
  const Result missing = run("train --data /nonexistent/folder");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.output.find("/nonexistent/folder: no such folder"), std::string::npos)
      << missing.output;
  const Result notdata = run("train --data " CNN_SOURCE_DIR " --out /tmp/cnn-cli-test-unused");
  EXPECT_EQ(notdata.code, 1);
  EXPECT_NE(notdata.output.find("expected MNIST-layout IDX files"), std::string::npos)
      << notdata.output;
}

}  // namespace
