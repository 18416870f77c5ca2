// fuzz_replay: runs fuzz targets on saved inputs without libFuzzer, in any build, so that every
// finding saved in fuzz/regressions/<target>/ stays a test (fuzz/CMakeLists.txt adds one ctest
// test per target). Besides what the target itself treats as a finding (an exception other than
// cnn::Error, an abort), an input is a finding when the reader's peak heap allocation reaches
// kMaxReplayAllocation, counted by tests/hostile/peak_allocation.cpp (not in sanitizer builds,
// where the sanitizer owns malloc; there the sanitizer's own checks apply).
//
//   fuzz_replay TARGET FILE_OR_FOLDER...
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "hostile/peak_allocation.h"

namespace {

namespace fs = std::filesystem;

// libFuzzer's -malloc_limit_mb in scripts/fuzz.sh, and the bound for a small hostile
// file: readers must refuse what would need more before allocating it.
constexpr int64_t kMaxReplayAllocation = int64_t{64} << 20;

std::vector<fs::path> input_files(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    if (fs::is_directory(argv[i])) {
      for (const auto& entry : fs::recursive_directory_iterator(argv[i]))
        if (entry.is_regular_file() && entry.path().filename().string()[0] != '.')
          files.push_back(entry.path());
    } else {
      files.emplace_back(argv[i]);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_replay TARGET FILE_OR_FOLDER...\ntargets: %s\n",
                 cnn::fuzz::registered_targets().c_str());
    return 2;
  }
  const cnn::fuzz::TargetFunction target = cnn::fuzz::find_target(argv[1]);
  if (target == nullptr) {
    std::fprintf(stderr, "fuzz_replay: no target '%s' (targets: %s)\n", argv[1],
                 cnn::fuzz::registered_targets().c_str());
    return 2;
  }
  const std::vector<fs::path> files = input_files(argc, argv);
  if (files.empty()) {
    std::fprintf(stderr, "fuzz_replay: no input files given\n");
    return 2;
  }
  int findings = 0;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    std::printf("%s: %s (%zu bytes)", argv[1], file.c_str(), bytes.size());
    std::fflush(stdout);
    const cnn::testing::PeakAllocation counter;
    const std::string refusal = cnn::fuzz::run_input(argv[1], target, bytes.data(), bytes.size());
    std::printf(": %s", refusal.empty() ? "accepted" : ("refused: " + refusal).c_str());
    if (cnn::testing::allocation_counting_available()) {
      const int64_t peak = counter.peak_bytes();
      std::printf(", peak allocation %lld bytes", static_cast<long long>(peak));
      if (peak >= kMaxReplayAllocation) {
        std::printf(": FINDING, over the limit of %lld (kMaxReplayAllocation)",
                    static_cast<long long>(kMaxReplayAllocation));
        ++findings;
      }
    }
    std::printf("\n");
  }
  std::printf("%zu inputs, %d findings\n", files.size(), findings);
  return findings == 0 ? 0 : 1;
}
