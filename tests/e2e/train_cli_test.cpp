// `cnn train` end to end on a slice of Fashion-MNIST: the run folder, exact resumption (after
// a finished epoch and after Ctrl-C mid-epoch), and the non-finite guard.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cnn/data/idx.h"
#include "cnn/data/image.h"
#include "cnn/train/checkpoint.h"
#include "support/process.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

namespace fs = std::filesystem;
using testing::run_cnn;

// Small enough to take seconds: a few hundred training images, 200 test images, batch 64.
std::string quick(int train_images = 768) {
  return "train --train-limit " + std::to_string(train_images) +
         " --test-limit 200 --batch-size 64 --threads 2 --seed 5 ";
}

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cnn_train_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string out(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// Every tensor of two checkpoints, compared bit for bit.
void expect_same_checkpoint(const std::string& a, const std::string& b) {
  const train::Checkpoint ca = train::load_checkpoint(a), cb = train::load_checkpoint(b);
  ASSERT_EQ(ca.tensors.size(), cb.tensors.size());
  int compared = 0;
  for (const auto& [name, t] : ca.tensors) {
    ASSERT_TRUE(cb.tensors.contains(name)) << name;
    const Tensor& u = cb.tensors.at(name);
    if (t.dtype() == DType::i64) {
      EXPECT_EQ(t.to_vector_i64(), u.to_vector_i64()) << name;
    } else {
      EXPECT_TRUE(testing::bit_identical(t, u)) << name;
    }
    ++compared;
  }
  EXPECT_GT(compared, 60);  // weights, BN statistics, momentum buffers, schedule
}

TEST_F(TrainCli, WritesTheRunFolder) {
  const auto r = run_cnn(quick() + "--epochs 1 --out " + out("run"));
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* file : {"config.json", "metrics.csv", "checkpoint-latest.ckpt",
                           "checkpoint-best.ckpt", "loss.png", "accuracy.png", "confusion.png"})
    EXPECT_TRUE(fs::exists(dir_ / "run" / file)) << file;
  std::ifstream csv(dir_ / "run" / "metrics.csv");
  std::string header, row;
  std::getline(csv, header);
  std::getline(csv, row);
  EXPECT_EQ(header,
            "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second,lr");
  EXPECT_EQ(row.substr(0, 2), "1,");
  EXPECT_NE(r.output.find("final test accuracy"), std::string::npos) << r.output;
  // The run's model evaluates and predicts from its folder.
  const auto eval = run_cnn("eval " + out("run") + " --limit 300");
  ASSERT_EQ(eval.code, 0) << eval.output;
  for (const char* needle : {"test images 300", "test accuracy", "Ankle boot", "confusion matrix"})
    EXPECT_NE(eval.output.find(needle), std::string::npos) << needle << "\n" << eval.output;
  const auto fashion = data::fashion_mnist();
  const std::string png = out("first-test-image.png");
  data::save_png(png, fashion.test.images.slice(0, 0, 1).reshape({28, 28, 1}));
  const auto predicted = run_cnn("predict " + out("run") + " " + png + " --top 2");
  ASSERT_EQ(predicted.code, 0) << predicted.output;
  EXPECT_EQ(predicted.output.rfind(png + ": ", 0), 0u) << predicted.output;
  EXPECT_NE(predicted.output.find("%, "), std::string::npos) << predicted.output;  // two classes
  const auto from_idx =
      run_cnn("predict " + out("run") +
              " /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --limit 2");
  ASSERT_EQ(from_idx.code, 0) << from_idx.output;
  EXPECT_NE(from_idx.output.find("t10k-images-idx3-ubyte.gz[1]: "), std::string::npos)
      << from_idx.output;
  const auto bad = run_cnn("predict " + out("run") + " " + out("run") + "/config.json");
  EXPECT_NE(bad.output.find("looks like text"), std::string::npos) << bad.output;
  EXPECT_EQ(bad.code, 1) << bad.output;
  // A second run into the same folder is refused rather than overwriting it.
  const auto again = run_cnn(quick() + "--epochs 1 --out " + out("run"));
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.output.find("holds a run already"), std::string::npos) << again.output;
}

TEST_F(TrainCli, ResumedRunEqualsUninterruptedBitForBit) {
  const std::string common = quick() + "--schedule constant --lr 0.05 ";
  ASSERT_EQ(run_cnn(common + "--epochs 2 --out " + out("straight")).code, 0);
  ASSERT_EQ(run_cnn(common + "--epochs 1 --out " + out("resumed")).code, 0);
  const auto r = run_cnn("train --resume " + out("resumed") + " --epochs 2");
  ASSERT_EQ(r.code, 0) << r.output;
  expect_same_checkpoint(out("straight") + "/checkpoint-latest.ckpt",
                         out("resumed") + "/checkpoint-latest.ckpt");
}

TEST_F(TrainCli, InterruptedMidEpochThenResumedEqualsUninterrupted) {
  const std::string common = quick(2048) + "--epochs 1 ";  // onecycle over the run
  ASSERT_EQ(run_cnn(common + "--out " + out("straight")).code, 0);
  // Start the same run in the background and interrupt it with SIGINT while it trains.
  const std::string log = out("interrupted.log");
  const std::string command = std::string(CNN_BINARY) + " " + common + "--out " +
                              out("interrupted") + " > " + log + " 2>&1 & echo $!";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  int pid = 0;
  ASSERT_EQ(std::fscanf(pipe, "%d", &pid), 1);
  ::pclose(pipe);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  ::kill(pid, SIGINT);
  for (int i = 0; i < 600 && ::kill(pid, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  if (text.find("stopped at epoch 1, step") == std::string::npos)
    GTEST_SKIP() << "the run ended before the interrupt arrived:\n" << text;
  const auto r = run_cnn("train --resume " + out("interrupted"));
  ASSERT_EQ(r.code, 0) << r.output;
  expect_same_checkpoint(out("straight") + "/checkpoint-latest.ckpt",
                         out("interrupted") + "/checkpoint-latest.ckpt");
}

TEST_F(TrainCli, NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint) {
  ASSERT_EQ(run_cnn(quick() + "--epochs 1 --out " + out("run")).code, 0);
  const std::string checkpoint = out("run") + "/checkpoint-latest.ckpt";
  const auto before = fs::last_write_time(checkpoint);
  const auto r = run_cnn("train --resume " + out("run") + " --epochs 2 --lr 1e30");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("training stopped at epoch 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("anomaly: NaN or infinity first appeared in"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("is kept"), std::string::npos) << r.output;
  EXPECT_EQ(fs::last_write_time(checkpoint), before);
  EXPECT_NO_THROW(train::load_checkpoint(checkpoint));
}

TEST_F(TrainCli, TrainsAZooModelOnResizedImages) {
  // DenseNet-121 needs at least 29x29 pixels; Fashion-MNIST's 28x28 images are resized to 32.
  const auto too_small = run_cnn(
      "train --model densenet121 --train-limit 64 --test-limit 32 --epochs 1 "
      "--out " +
      out("small"));
  EXPECT_EQ(too_small.code, 1) << too_small.output;
  EXPECT_NE(too_small.output.find("model densenet121 cannot take 28x28x1 images"),
            std::string::npos)
      << too_small.output;
  EXPECT_NE(too_small.output.find("--resize"), std::string::npos) << too_small.output;
  EXPECT_FALSE(fs::exists(out("small"))) << "a failed start must not leave a run folder";
  const auto r = run_cnn(
      "train --model densenet121 --resize 32 --train-limit 64 --test-limit 32 --epochs 1 "
      "--batch-size 32 --out " +
      out("dense"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("resized to 32x32"), std::string::npos) << r.output;
  const auto eval = run_cnn("eval " + out("dense") + " --limit 40");
  EXPECT_EQ(eval.code, 0) << eval.output;
  EXPECT_NE(eval.output.find("test images 40"), std::string::npos) << eval.output;
}

TEST_F(TrainCli, ResumeRefusesOtherOptions) {
  const auto r = run_cnn("train --resume " + out("none") + " --batch-size 32");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("cannot be changed when resuming"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace cnn
