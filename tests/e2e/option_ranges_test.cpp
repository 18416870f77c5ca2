// Options out of range are usage errors (status 2) naming the option, the value and the range,
// refused before any data is read or anything allocated; a run folder that cannot be created is
// refused before the data is loaded.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/process.h"
#include "support/sanitizers.h"

namespace cnn {
namespace {

namespace fs = std::filesystem;
using testing::run_cnn;

void expect_usage_error(const std::string& args, const std::string& fragment) {
  const auto r = run_cnn(args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(fragment), std::string::npos) << args << "\n" << r.output;
}

TEST(OptionRanges, NumericOptionsAreCheckedBeforeAnythingRuns) {
  expect_usage_error("train --seed -5",
                     "--seed: must be a whole number in [0, 9223372036854775807]");
  expect_usage_error("train --threads 100000", "--threads: must be a whole number in [0, 1024]");
  expect_usage_error("train --epochs 100000000000",
                     "--epochs: must be a whole number in [1, 100000]");
  expect_usage_error("train --batch-size 1.5", "--batch-size: must be a whole number");
  expect_usage_error("train --lr 1e-60", "--lr: '1e-60' is 0 in float");
  expect_usage_error("train --lr 1e300", "--lr: '1e300' is infinite in float");
  expect_usage_error("train --weight-decay inf", "--weight-decay: must be zero or positive");
  expect_usage_error("train --resize 100000", "--resize: must be a whole number in [0, 16384]");
  expect_usage_error("train --crop-padding 99999", "--crop-padding: must be a whole number");
  expect_usage_error("eval runs/x --batch-size 0", "--batch-size: must be a whole number");
  expect_usage_error("predict runs/x a.png --top -1", "--top: must be a whole number");
  expect_usage_error("export resnet18 x.onnx --input 100000x100000x3",
                     "rows 100000 of image shape [100000, 100000, 3] are outside [1, 16384]");
  expect_usage_error("export resnet18 x.onnx --input 8192x8192x3",
                     "has 201326592 elements, over the limit of 67108864");
  expect_usage_error("lab depth --threads 5000", "--threads: must be a whole number in [0, 1024]");
}

TEST(OptionRanges, SettingsThatDependOnTheDataAreCheckedAgainstIt) {
  const auto r = run_cnn("train --train-limit 64 --test-limit 10 --crop-padding 40 --out " +
                         (fs::temp_directory_path() / "cnn_crop_padding_run").string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("crop_padding 40 is larger than the images (28 pixels"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(fs::temp_directory_path() / "cnn_crop_padding_run"));
}

TEST(OptionRanges, AnUnusableRunFolderIsRefusedBeforeTheDataIsLoaded) {
  const fs::path file = fs::temp_directory_path() / ("cnn_out_file_" + std::to_string(::getpid()));
  std::ofstream(file) << "x";
  // A data folder that does not exist: the run folder's error must come first.
  auto r = run_cnn("train --data /nonexistent --out " + (file / "run").string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("is a file, not a folder"), std::string::npos) << r.output;
  r = run_cnn("train --data /nonexistent --out " + file.string());
  EXPECT_NE(r.output.find("--out names a file, not a folder"), std::string::npos) << r.output;
  fs::remove(file);
}

TEST(OptionRanges, ThreadsTheSystemWillNotStartAreAnErrorNotACrash) {
#if CNN_TEST_UNDER_SANITIZER
  GTEST_SKIP() << "a sanitizer reserves terabytes of address space: ulimit -v cannot apply";
#endif
  // 1,000 threads of 8 MiB stacks do not fit in 3 GB of address space.
  const std::string command = "bash -c 'ulimit -v 3000000; " + std::string(CNN_BINARY) +
                              " train --threads 1000 --train-limit 64 --test-limit 10 --out " +
                              (fs::temp_directory_path() / "cnn_threads_run").string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 1) << output;
  EXPECT_NE(output.find("threads 1000: set_num_threads: the system started only"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find("unexpected error"), std::string::npos) << output;
  fs::remove_all(fs::temp_directory_path() / "cnn_threads_run");
}

}  // namespace
}  // namespace cnn
