// torchvision models exported by torch 1.13's torch.onnx.export (scripts/onnx/make_test_data.py:
// opsets 11, 13 and 17, a static and a dynamic batch, small non-square inputs) load as they are
// and give PyTorch's outputs within 1e-4 relative, through the fused inference plan and the
// unfused training-mode plan alike; ONNX Runtime (bench/ort) gives the same on the same files.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cnn/autograd.h"
#include "cnn/io/safetensors.h"
#include "cnn/onnx/onnx.h"
#include "support/tensor_testing.h"

namespace cnn::onnx {
namespace {

namespace fs = std::filesystem;
using cnn::testing::relative_error;

// CNN_ONNX_ZOO overrides the folder (scripts/onnx/check_zoo.py runs the whole zoo through here).
const std::string kZoo =
    std::getenv("CNN_ONNX_ZOO") ? std::getenv("CNN_ONNX_ZOO") : std::string(CNN_ONNX_DATA) + "/zoo";
constexpr double kTolerance = 1e-4;

Tensor nhwc(const Tensor& nchw) {
  return nchw.permute({0, 2, 3, 1}).contiguous();
}

std::vector<std::string> exported_models() {
  std::vector<std::string> names;
  if (!fs::exists(kZoo)) return names;
  for (const auto& e : fs::directory_iterator(kZoo)) {
    const std::string f = e.path().filename().string();
    const std::string suffix = ".reference.safetensors";
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(f.substr(0, f.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(OnnxTorchvision, ExportsMatchPyTorch) {
  const std::vector<std::string> models = exported_models();
  ASSERT_GE(models.size(), std::getenv("CNN_ONNX_ZOO") ? 1u : 8u)
      << "no torchvision exports in " << kZoo;
  for (const std::string& m : models) {
    const nn::StateDict ref = io::load_safetensors(kZoo + "/" + m + ".reference.safetensors");
    for (int opset : {11, 13, 17})
      for (const std::string variant : {"static", "dynamic"}) {
        const std::string file =
            kZoo + "/" + m + "-opset" + std::to_string(opset) + "-" + variant + ".onnx";
        SCOPED_TRACE(file);
        std::shared_ptr<Model> model;
        ASSERT_NO_THROW(model = load(file));
        model->eval();
        for (int batch : {1, 3}) {
          if (variant == "static" && batch != 1) continue;
          const std::string b = ".b" + std::to_string(batch);
          const Tensor x = nhwc(ref.at("input" + b));
          Tensor fused, plain;
          {
            NoGradGuard no_grad;
            fused = (*model)(x);
          }
          plain = (*model)(x);  // grad mode on: the unfused plan, recording the graph
          const double e_fused = relative_error(fused, ref.at("output" + b));
          const double e_plain = relative_error(plain.detach(), ref.at("output" + b));
          std::printf(
              "zoo-check %s opset %d %s batch %d: %.3g (inference plan) %.3g (training plan)\n",
              m.c_str(), opset, variant.c_str(), batch, e_fused, e_plain);
          EXPECT_LT(e_fused, kTolerance) << m << " batch " << batch << " (inference plan)";
          EXPECT_LT(e_plain, kTolerance) << m << " batch " << batch << " (training plan)";
        }
      }
  }
}

// Tensors in an external data file (how models over 2 GiB are stored) load as inline ones do.
TEST(OnnxTorchvision, ExternalDataLoads) {
  const std::string file = std::string(CNN_ONNX_DATA) + "/external/resnet18.onnx";
  ASSERT_TRUE(fs::exists(std::string(CNN_ONNX_DATA) + "/external/resnet18.weights"));
  EXPECT_LT(fs::file_size(file), 100000u);  // the graph alone: the weights are outside
  auto model = load(file);
  model->eval();
  NoGradGuard no_grad;
  const nn::StateDict ref = io::load_safetensors(kZoo + "/resnet18.reference.safetensors");
  EXPECT_LT(relative_error((*model)(nhwc(ref.at("input.b3"))), ref.at("output.b3")), kTolerance);
}

// A static export refuses another batch size or resolution with a message naming both.
TEST(OnnxTorchvision, StaticExportChecksTheInputShape) {
  const std::string file = kZoo + "/resnet18-opset17-static.onnx";
  auto model = load(file);
  model->eval();
  NoGradGuard no_grad;
  const std::string e = cnn::testing::error_of([&] { (*model)(Tensor::zeros({3, 64, 80, 3})); });
  EXPECT_NE(e.find("extent 3 in dimension 0 where the model declares 1"), std::string::npos) << e;
}

// The imported ResNet takes the fused fast path of cnn's own: every convolution ends in its
// kernel's epilogue with the residual add and the ReLU, no separate Relu or Add remains.
TEST(OnnxTorchvision, ResNetInferencePlanIsFused) {
  auto model = load(kZoo + "/resnet18-opset13-dynamic.onnx");
  int fused_add = 0, loose = 0;
  for (const std::string& line : model->plan(true)) {
    if (line.rfind("Conv+Add+Relu", 0) == 0) ++fused_add;
    if (line.rfind("Relu ", 0) == 0 || line.rfind("Add ", 0) == 0) ++loose;
  }
  EXPECT_EQ(fused_add, 8);  // one per BasicBlock
  EXPECT_EQ(loose, 0);
  // the training plan keeps every op
  int relus = 0;
  for (const std::string& line : model->plan(false)) relus += line.rfind("Relu ", 0) == 0;
  EXPECT_EQ(relus, 17);
}

// ONNX Runtime, from the npm package in bench/ort, on the same files gives the same outputs.
TEST(OnnxTorchvision, OnnxRuntimeAgrees) {
  const std::string ort = std::string(CNN_SOURCE_DIR) + "/bench/ort/ort_run.js";
  if (!fs::exists(std::string(CNN_SOURCE_DIR) + "/bench/ort/node_modules/onnxruntime-node"))
    GTEST_SKIP() << "onnxruntime-node is not installed (scripts/setup.sh --test installs it)";
  const fs::path tmp = fs::temp_directory_path() / ("cnn_ort_" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  for (const std::string m : {"resnet18", "mobilenet_v2", "shufflenet_v2_x1_0"}) {
    const std::string file = kZoo + "/" + m + "-opset17-dynamic.onnx";
    const std::string out = (tmp / (m + ".safetensors")).string();
    const std::string command = "node " + ort + " run --model " + file + " --inputs " + kZoo + "/" +
                                m + ".reference.safetensors --suffix .b3 --out " + out + " 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    const Tensor theirs = io::load_safetensors(out).at("output.b3");
    auto model = load(file);
    model->eval();
    NoGradGuard no_grad;
    const nn::StateDict ref = io::load_safetensors(kZoo + "/" + m + ".reference.safetensors");
    const Tensor ours = (*model)(nhwc(ref.at("input.b3")));
    EXPECT_LT(relative_error(ours, theirs), kTolerance) << m;
  }
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace cnn::onnx
