// Running the `cnn` program from tests.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

namespace cnn::testing {

struct ProcessResult {
  int code;            // exit status, or 128 + signal
  std::string output;  // stdout and stderr together
};

// Runs `command` through the shell, stdout and stderr together, and waits for it.
inline ProcessResult run_shell(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buffer{};
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), output};
}

// Runs `cnn <args>` through the shell and waits for it.
inline ProcessResult run_cnn(const std::string& args) {
  return run_shell(std::string(CNN_BINARY) + " " + args);
}

}  // namespace cnn::testing
