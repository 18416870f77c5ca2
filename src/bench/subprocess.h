// Runs a program with given standard input and captures its standard output; its standard
// error is ours. No shell is involved: arguments reach the program as they are.
#pragma once

#include <string>
#include <vector>

namespace cnn::bench {

struct SubprocessResult {
  int exit_code = 0;   // the exit status, or 128 + the signal that ended it
  std::string output;  // everything it wrote to standard output
};

// argv[0] is the program (searched on PATH when it has no '/'). Raises cnn::Error naming the
// program when it cannot be started (not found, not executable).
SubprocessResult run_subprocess(const std::vector<std::string>& argv, const std::string& input);

}  // namespace cnn::bench
