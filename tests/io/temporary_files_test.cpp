// Temporary files of interrupted writes: registered ones are removed by the signal-safe sweep,
// and stale ones (a killed process) by the folder sweep, which leaves every other file alone.
#include "io/temporary_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace cnn::io {
namespace {

namespace fs = std::filesystem;

TEST(TemporaryFiles, RegisteredFilesAreRemovedBySweepAndForgottenAfterTheirScope) {
  const fs::path dir = fs::temp_directory_path() / ("cnn_tmpfiles_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path a = dir / ".loss.png.tmp-abc123", b = dir / ".metrics.csv.tmp-XYZ789";
  std::ofstream(a) << "partial";
  std::ofstream(b) << "partial";
  {
    const TemporaryFile done(b.string());
  }  // b's write finished (renamed in real use): no longer registered
  {
    const TemporaryFile writing(a.string());
    remove_temporary_files();
    EXPECT_FALSE(fs::exists(a));
  }
  EXPECT_TRUE(fs::exists(b));
  fs::remove_all(dir);
}

TEST(TemporaryFiles, StaleSweepRemovesOnlyTemporaryNames) {
  const fs::path dir = fs::temp_directory_path() / ("cnn_stale_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* name : {".loss.png.tmp-abc123", ".checkpoint-latest.ckpt.tmp-Q1w2E3", "loss.png",
                           ".hidden", ".x.tmp-abc", "notes.tmp-abc123"})
    std::ofstream(dir / name) << "x";
  EXPECT_EQ(remove_stale_temporary_files(dir.string()), 2);
  EXPECT_FALSE(fs::exists(dir / ".loss.png.tmp-abc123"));
  EXPECT_FALSE(fs::exists(dir / ".checkpoint-latest.ckpt.tmp-Q1w2E3"));
  for (const char* name : {"loss.png", ".hidden", ".x.tmp-abc", "notes.tmp-abc123"})
    EXPECT_TRUE(fs::exists(dir / name)) << name;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cnn::io
