// What every hostile-input test asserts: the reader refuses the input with a cnn::Error whose
// message names the problem, and allocates less than kHostileAllocationLimit doing so.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "cnn/error.h"
#include "core/input_file.h"
#include "hostile/peak_allocation.h"

namespace cnn::testing {

/// The bound the issue sets for a reader given a ~100-byte hostile file.
inline constexpr int64_t kHostileAllocationLimit = int64_t{64} << 20;

/// Runs `read`; expects a cnn::Error containing `fragment` and a peak allocation under the limit.
template <class Read>
void expect_refused(Read&& read, std::string_view fragment) {
  const PeakAllocation counter;
  try {
    read();
    ADD_FAILURE() << "accepted; expected an error containing '" << fragment << "'";
  } catch (const cnn::Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << fragment;
  }
  if (allocation_counting_available()) {
    EXPECT_LT(counter.peak_bytes(), kHostileAllocationLimit)
        << "peak allocation " << counter.peak_bytes() << " bytes";
  }
}

/// A file in a fresh folder under the test temp dir holding `bytes`.
inline std::string write_file(const std::string& name, const std::vector<uint8_t>& bytes) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cnn_hostile_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline std::string write_file(const std::string& name, std::string_view text) {
  return write_file(name, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace cnn::testing
