// The `cnn` program's contract with a shell: usage errors exit 2 with a message and a hint,
// runtime errors exit 1 naming what was wrong, --help exits 0.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace {

struct Result {
  int code;
  std::string output;
};

Result run(const std::string& args) {
  const std::string command = std::string(CNN_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buffer{};
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
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
  expect_usage_error("train --epochs -1", "--epochs: must be a positive number, got '-1'");
  expect_usage_error("train --lr abc", "--lr: must be a positive number, got 'abc'");
  expect_usage_error("train --batch-size", "--batch-size");
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
  EXPECT_NE(missing.output.find("/nonexistent/folder: no such folder"), std::string::npos) << missing.output;
  const Result model = run("train --model resnet21 --data " CNN_SOURCE_DIR);
  EXPECT_EQ(model.code, 1);
  EXPECT_NE(model.output.find("unknown model 'resnet21'"), std::string::npos) << model.output;
}

}  // namespace
