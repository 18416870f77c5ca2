#include <cxxabi.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <typeinfo>

#include "cnn/error.h"
#include "fuzz_target.h"

namespace cnn::fuzz {
namespace {

namespace fs = std::filesystem;

std::map<std::string, TargetFunction, std::less<>>& targets() {
  static std::map<std::string, TargetFunction, std::less<>> registered;
  return registered;
}

// One folder per process (libFuzzer's -fork and -jobs run several), removed at exit.
const fs::path& input_folder() {
  static const fs::path folder = [] {
    const fs::path base =
        fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path f = base / ("cnn-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(f);
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(input_folder(), ignored);
    });
    return f;
  }();
  return folder;
}

[[noreturn]] void finding(std::string_view target, const char* kind, const char* what) {
  std::fprintf(stderr, "\n==cnn-fuzz== FINDING in target %.*s: %s: %s\n",
               static_cast<int>(target.size()), target.data(), kind, what);
  std::fflush(stderr);
  std::abort();
}

}  // namespace

std::string run_input(std::string_view target_name, TargetFunction target, const uint8_t* data,
                      size_t size) {
  try {
    target(data, size);
    return "";
  } catch (const cnn::Error& e) {
    return e.what();  // the reader refused the input: what it is for
  } catch (const std::bad_alloc& e) {
    finding(target_name, "std::bad_alloc escaped the reader (an allocation it did not bound)",
            e.what());
  } catch (const std::exception& e) {
    int status = 0;
    char* type = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
    finding(target_name, status == 0 ? type : typeid(e).name(), e.what());
  } catch (...) {
    finding(target_name, "an exception of unknown type", "");
  }
}

Registration::Registration(const char* name, TargetFunction target) {
  targets().emplace(name, target);
}

TargetFunction find_target(std::string_view name) {
  const auto it = targets().find(name);
  return it == targets().end() ? nullptr : it->second;
}

std::string registered_targets() {
  std::string names;
  for (const auto& [name, target] : targets()) names += (names.empty() ? "" : " ") + name;
  return names;
}

std::string input_file(const uint8_t* data, size_t size, std::string_view name) {
  const std::string path = (input_folder() / name).string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) finding("(harness)", "cannot create the input file", path.c_str());
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) finding("(harness)", "cannot write the input file", path.c_str());
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return path;
}

}  // namespace cnn::fuzz
