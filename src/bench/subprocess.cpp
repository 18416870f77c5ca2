#include "bench/subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cnn/error.h"

namespace cnn::bench {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

struct FileActions {
  posix_spawn_file_actions_t actions;
  FileActions() { posix_spawn_file_actions_init(&actions); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

}  // namespace

SubprocessResult run_subprocess(const std::vector<std::string>& argv, const std::string& input) {
  CNN_CHECK(!argv.empty(), "run_subprocess: no program given");
  const std::string& program = argv.front();
  // The input goes through an anonymous temporary file rather than a pipe: the child reads
  // it at its own pace, and a child that exits early cannot raise SIGPIPE in us.
  std::unique_ptr<std::FILE, FileCloser> in(std::tmpfile());
  CNN_CHECK(in != nullptr, "run_subprocess: cannot create a temporary file for the input of '",
            program, "': ", std::strerror(errno));
  CNN_CHECK(std::fwrite(input.data(), 1, input.size(), in.get()) == input.size() &&
                std::fflush(in.get()) == 0 && std::fseek(in.get(), 0, SEEK_SET) == 0,
            "run_subprocess: cannot write the input of '", program, "': ", std::strerror(errno));
  int out[2];
  CNN_CHECK(::pipe2(out, O_CLOEXEC) == 0, "run_subprocess: cannot create a pipe for '", program,
            "': ", std::strerror(errno));

  FileActions files;
  posix_spawn_file_actions_adddup2(&files.actions, ::fileno(in.get()), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&files.actions, out[1], STDOUT_FILENO);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      ::posix_spawnp(&pid, program.c_str(), &files.actions, nullptr, args.data(), environ);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    fail("cannot run '", program, "': ", std::strerror(spawned));
  }

  SubprocessResult result;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n > 0) {
      result.output.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace cnn::bench
