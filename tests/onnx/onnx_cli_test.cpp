// The cnn program with ONNX files: summary, fine-tuning a torch export with cnn train (a new
// classifier, grayscale data through the first convolution), then eval, predict and resume on
// the run, and the errors a user meets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cnn/data/idx.h"
#include "cnn/io/safetensors.h"
#include "cnn/ops/elementwise.h"
#include "cnn/train/trained_model.h"
#include "support/process.h"

namespace cnn {
namespace {

namespace fs = std::filesystem;
using testing::run_cnn;

const std::string kZoo = std::string(CNN_ONNX_DATA) + "/zoo";
const std::string kTestImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

class OnnxCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cnn_onnx_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string out(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(OnnxCli, SummaryListsTheNodes) {
  const auto r = run_cnn("summary " + kZoo + "/resnet18-opset17-static.onnx");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("input 64x80x3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/layer1/layer1.0/conv1/Conv"), std::string::npos) << r.output;
  // resnet18's parameters once the exporter folded batch norm into the convolutions' biases
  EXPECT_NE(r.output.find("11,684,712"), std::string::npos) << r.output;
  const auto json = run_cnn("summary " + kZoo + "/resnet18-opset17-dynamic.onnx --json");
  ASSERT_EQ(json.code, 0) << json.output;
  EXPECT_NE(json.output.find("\"type\": \"Gemm\""), std::string::npos) << json.output;
  const auto wrong = run_cnn("summary " + kZoo + "/resnet18-opset17-dynamic.onnx --input 32x32x3");
  EXPECT_EQ(wrong.code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("where the model declares 64"), std::string::npos) << wrong.output;
}

TEST_F(OnnxCli, FineTunesATorchExportThenEvaluatesPredictsAndResumes) {
  const std::string model = kZoo + "/resnet18-opset13-dynamic.onnx";
  const std::string common =
      "train --model " + model +
      " --train-limit 256 --test-limit 100 --batch-size 64 --threads 2 --seed 3 --lr 0.01 ";
  // (the exporter folded batch norm into the convolutions: without it, SGD at 0.1 diverges)
  // 1000 outputs against 10 classes: refused with the way out
  const auto refused = run_cnn(common + "--epochs 1 --out " + out("refused"));
  EXPECT_EQ(refused.code, 1) << refused.output;
  EXPECT_NE(refused.output.find("--num-classes 10"), std::string::npos) << refused.output;
  EXPECT_FALSE(fs::exists(out("refused")));

  const auto r = run_cnn(common + "--num-classes 10 --epochs 1 --out " + out("run"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(out("run") + "/model.onnx"));
  EXPECT_TRUE(fs::exists(out("run") + "/checkpoint-latest.ckpt"));
  EXPECT_NE(r.output.find("resized to 64x80"), std::string::npos) << r.output;

  const auto resumed = run_cnn("train --resume " + out("run") + " --epochs 2");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("after 2 epochs"), std::string::npos) << resumed.output;

  const auto eval = run_cnn("eval " + out("run") + " --limit 100");
  ASSERT_EQ(eval.code, 0) << eval.output;
  EXPECT_NE(eval.output.find("test accuracy"), std::string::npos) << eval.output;

  const auto predict = run_cnn("predict " + out("run") + " " + kTestImages + " --limit 2");
  ASSERT_EQ(predict.code, 0) << predict.output;
  EXPECT_NE(predict.output.find("[1]:"), std::string::npos) << predict.output;
}

TEST_F(OnnxCli, PredictAndEvalTakeAnOnnxFile) {
  const std::string model = kZoo + "/resnet18-opset17-static.onnx";
  // a torchvision export says nothing of its data: eval asks for it
  const auto eval = run_cnn("eval " + model);
  EXPECT_EQ(eval.code, 1) << eval.output;
  EXPECT_NE(eval.output.find("give --data FOLDER"), std::string::npos) << eval.output;
  // predict with class names from a file: 1000 lines for 1000 outputs, else an error
  {
    std::ofstream labels(out("labels.txt"));
    for (int i = 0; i < 1000; ++i) labels << "class " << i << "\n";
  }
  const auto missing =
      run_cnn("predict " + model + " " + kTestImages + " --limit 1 --labels " + out("none.txt"));
  EXPECT_EQ(missing.code, 1) << missing.output;
  const auto bad_mode = run_cnn("predict " + model + " " + kTestImages + " --normalize zscore");
  EXPECT_EQ(bad_mode.code, 2) << bad_mode.output;
}

// The percentage `cnn eval` prints ("test accuracy 81.20%"), or "" when absent.
std::string accuracy_in(const std::string& output) {
  const size_t at = output.find("test accuracy ");
  if (at == std::string::npos) return "";
  return output.substr(at + 14, output.find('%', at) - at - 14);
}

// A ResNet-20 trained by cnn and exported scores the same in ONNX Runtime as cnn eval says,
// and cnn reads its own export back with the run's classes, normalization and data.
TEST_F(OnnxCli, ExportedRunScoresTheSameInOnnxRuntime) {
  constexpr int64_t kImages = 500;
  const auto trained = run_cnn(
      "train --model resnet20 --train-limit 1024 --test-limit 500 --batch-size 64 "
      "--epochs 1 --threads 2 --seed 2 --out " +
      out("run"));
  ASSERT_EQ(trained.code, 0) << trained.output;
  const auto eval = run_cnn("eval " + out("run") + " --limit " + std::to_string(kImages));
  ASSERT_EQ(eval.code, 0) << eval.output;
  const std::string ours = accuracy_in(eval.output);
  ASSERT_FALSE(ours.empty()) << eval.output;

  const auto exported = run_cnn("export " + out("run") + " " + out("resnet20.onnx"));
  ASSERT_EQ(exported.code, 0) << exported.output;
  const auto reimported =
      run_cnn("eval " + out("resnet20.onnx") + " --limit " + std::to_string(kImages));
  ASSERT_EQ(reimported.code, 0) << reimported.output;
  EXPECT_EQ(accuracy_in(reimported.output), ours) << reimported.output;

  if (!fs::exists(std::string(CNN_SOURCE_DIR) + "/bench/ort/node_modules/onnxruntime-node"))
    GTEST_SKIP() << "onnxruntime-node is not installed (scripts/setup.sh --test installs it)";
  // ONNX Runtime on the same images, normalized as the run was (its stored statistics)
  const train::TrainedModel t = train::load_trained_model(out("run"));
  const Tensor images =
      data::idx_images_to_tensor(data::read_idx(kTestImages), kTestImages).slice(0, 0, kImages);
  const std::vector<int64_t> labels =
      data::idx_labels_to_tensor(
          data::read_idx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"), "labels")
          .slice(0, 0, kImages)
          .contiguous()
          .to_vector_i64();
  const Tensor x = ((images - t.normalization.mean[0]) / t.normalization.stddev[0])
                       .permute({0, 3, 1, 2})
                       .contiguous();
  io::save_safetensors(out("in.safetensors"), {{"input", x}});
  const std::string command = "node " + std::string(CNN_SOURCE_DIR) +
                              "/bench/ort/ort_run.js run --model " + out("resnet20.onnx") +
                              " --inputs " + out("in.safetensors") + " --out " +
                              out("ort.safetensors") + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const std::vector<float> logits =
      io::load_safetensors(out("ort.safetensors")).at("output").to_vector();
  int64_t correct = 0;
  for (int64_t i = 0; i < kImages; ++i) {
    const auto row = logits.begin() + i * 10;
    correct += std::max_element(row, row + 10) - row == labels[static_cast<size_t>(i)];
  }
  char theirs[32];
  std::snprintf(theirs, sizeof theirs, "%.2f", 100.0 * static_cast<double>(correct) / kImages);
  EXPECT_EQ(theirs, ours) << "ONNX Runtime against cnn eval";
}

TEST_F(OnnxCli, BenchTimesAnImportedModel) {
  const auto r = run_cnn("bench --onnx " + kZoo +
                         "/mobilenet_v2-opset17-dynamic.onnx --input 64x80x3 --batch 1,2 "
                         "--builder mobilenet_v2 --quick --threads 1 --no-ort");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("imp/builder"), std::string::npos) << r.output;
  const auto fixed = run_cnn("bench --onnx " + kZoo +
                             "/mobilenet_v2-opset17-static.onnx --batch 2 --quick --no-ort");
  EXPECT_EQ(fixed.code, 1) << fixed.output;
  EXPECT_NE(fixed.output.find("batch is fixed at 1"), std::string::npos) << fixed.output;
}

}  // namespace
}  // namespace cnn
