// The benchmark's layer cases are layers of our models: tests/cases/conv2d.json names them and
// running each model finds their shapes. The expected shapes below are the ones the benchmark
// measured when they were written by hand, so that a change in a model or in the list shows.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cnn/bench/cases.h"
#include "cnn/error.h"
#include "cnn/models/registry.h"

namespace {

using cnn::bench::ConvCase;

const std::string kConv2dCases = std::string(CNN_SOURCE_DIR) + "/tests/cases/conv2d.json";
const std::string kGemmCases = std::string(CNN_SOURCE_DIR) + "/tests/cases/gemm.json";

using Expected = std::vector<std::pair<std::string, std::string>>;  // layer, shape_text()

void expect_layers(const std::vector<ConvCase>& cases, const std::string& model, int64_t batch,
                   const Expected& expected) {
  ASSERT_EQ(cases.size(), expected.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(model + " " + expected[i].first);
    EXPECT_EQ(cases[i].model, model);
    EXPECT_EQ(cases[i].layer, expected[i].first);
    EXPECT_EQ(cases[i].batch, batch);
    EXPECT_EQ(cases[i].shape_text(), expected[i].second);
    EXPECT_EQ(cases[i].padding, cases[i].kernel / 2);  // every layer here is "same"-padded
  }
}

const Expected kResnet20 = {
    {"conv1", "3x3/1 1->16 28x28"},           {"layer1.0.conv1", "3x3/1 16->16 28x28"},
    {"layer2.0.conv1", "3x3/2 16->32 28x28"}, {"layer2.0.conv2", "3x3/1 32->32 14x14"},
    {"layer3.0.conv1", "3x3/2 32->64 14x14"}, {"layer3.0.conv2", "3x3/1 64->64 7x7"}};
const Expected kResnet50 = {{"conv1", "7x7/2 3->64 224x224"},
                            {"layer1.0.conv1", "1x1/1 64->64 56x56"},
                            {"layer1.0.conv2", "3x3/1 64->64 56x56"},
                            {"layer1.0.conv3", "1x1/1 64->256 56x56"},
                            {"layer2.0.downsample.0", "1x1/2 256->512 56x56"},
                            {"layer2.1.conv2", "3x3/1 128->128 28x28"},
                            {"layer3.1.conv2", "3x3/1 256->256 14x14"},
                            {"layer4.1.conv2", "3x3/1 512->512 7x7"},
                            {"layer4.1.conv1", "1x1/1 2048->512 7x7"}};
const Expected kMobilenetV2 = {
    {"features.1.conv.0.0", "3x3/1 dw 32 112x112"}, {"features.2.conv.1.0", "3x3/2 dw 96 112x112"},
    {"features.3.conv.1.0", "3x3/1 dw 144 56x56"},  {"features.4.conv.1.0", "3x3/2 dw 144 56x56"},
    {"features.5.conv.1.0", "3x3/1 dw 192 28x28"},  {"features.8.conv.1.0", "3x3/1 dw 384 14x14"},
    {"features.12.conv.1.0", "3x3/1 dw 576 14x14"}, {"features.14.conv.1.0", "3x3/2 dw 576 14x14"},
    {"features.15.conv.1.0", "3x3/1 dw 960 7x7"}};

std::vector<ConvCase> slice(const std::vector<ConvCase>& all, size_t begin, size_t count) {
  return {all.begin() + static_cast<std::ptrdiff_t>(begin),
          all.begin() + static_cast<std::ptrdiff_t>(begin + count)};
}

TEST(BenchCases, LayerCasesAreTheListedLayersOfOurModelsInTableOrder) {
  const std::vector<ConvCase> all = cnn::bench::layer_cases(kConv2dCases);
  ASSERT_EQ(all.size(), 6u + 2 * 9 + 2 * 9);
  expect_layers(slice(all, 0, 6), "resnet20", 128, kResnet20);  // Fashion-MNIST, 28x28x1
  expect_layers(slice(all, 6, 9), "resnet50", 1, kResnet50);    // 224x224x3
  expect_layers(slice(all, 15, 9), "resnet50", 16, kResnet50);
  expect_layers(slice(all, 24, 9), "mobilenet_v2", 1, kMobilenetV2);
  expect_layers(slice(all, 33, 9), "mobilenet_v2", 16, kMobilenetV2);
}

TEST(BenchCases, ModelConvLayersFindsEveryConvolutionInCallOrder) {
  // resnet20: the stem and two 3x3 convolutions in each of nine blocks (option-A shortcuts
  // have none).
  const auto all = cnn::bench::model_conv_layers("resnet20", 28, 28, 1, 10, 4, {});
  ASSERT_EQ(all.size(), 19u);
  EXPECT_EQ(all.front().layer, "conv1");
  EXPECT_EQ(all.back().layer, "layer3.2.conv2");
  std::set<std::string> names;
  for (const ConvCase& c : all) {
    names.insert(c.layer);
    EXPECT_EQ(c.batch, 4);
  }
  EXPECT_EQ(names.size(), all.size());
  EXPECT_THROW(cnn::bench::model_conv_layers("resnet20", 28, 28, 1, 10, 1, {"layer9.conv1"}),
               cnn::Error);
  EXPECT_THROW(cnn::bench::layer_cases("/nonexistent/conv2d.json"), cnn::Error);
}

TEST(BenchCases, FlopsCountTwoPerMultiplyAdd) {
  const std::vector<ConvCase> all = cnn::bench::layer_cases(kConv2dCases);
  // ResNet-50's conv1 on one image: 112 * 112 * 64 * 7 * 7 * 3 = 118,013,952 multiply-adds.
  const ConvCase& conv1 = all.at(6);
  ASSERT_EQ(conv1.layer, "conv1");
  EXPECT_EQ(conv1.forward_flops(), 2.0 * 118013952);
  EXPECT_EQ(conv1.forward_backward_flops(), 3 * conv1.forward_flops());
  // A depthwise layer: each output uses KH * KW * (C / groups) = 9 weights.
  ConvCase dw = all.at(24);
  dw.batch = 2;
  EXPECT_EQ(dw.forward_flops(), 2.0 * 2 * 112 * 112 * 32 * 9);
  EXPECT_EQ(cnn::bench::GemmCase{}.flops(), 2.0 * 1024 * 1024 * 1024);
}

TEST(BenchCases, ModelAndGemmCases) {
  const auto models = cnn::bench::model_cases();
  ASSERT_EQ(models.size(), 7u);
  EXPECT_EQ(models[0].model, "resnet20");
  EXPECT_EQ(models[0].mode, cnn::bench::ModelMode::train);
  EXPECT_EQ(models[0].batch, 128);
  // Each inference model at batch 1, then at batch 16, 224x224x3.
  for (size_t i = 1; i < models.size(); ++i) {
    EXPECT_EQ(models[i].mode, cnn::bench::ModelMode::inference);
    EXPECT_EQ(models[i].batch, i % 2 == 1 ? 1 : 16);
    EXPECT_EQ(models[i].model, models[i % 2 == 1 ? i : i - 1].model);
    EXPECT_EQ(models[i].height, 224);
    EXPECT_EQ(models[i].channels, 3);
    EXPECT_TRUE(cnn::models::exists(models[i].model)) << models[i].model;
  }
  ASSERT_EQ(cnn::bench::gemm_cases(kGemmCases, 1).size(), 1u);
  const auto two = cnn::bench::gemm_cases(kGemmCases, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].threads, 1);
  EXPECT_EQ(two[1].threads, 2);
  for (const auto& g : two) EXPECT_EQ(g.flops(), 2.0 * 1024 * 1024 * 1024);
  EXPECT_THROW(cnn::bench::gemm_cases("/nonexistent/gemm.json", 1), cnn::Error);
}

}  // namespace
