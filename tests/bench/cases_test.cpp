// The benchmark's layer cases are layers of our models: each names a convolution that the
// model runs, on that input, with that kernel, stride, padding and groups.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "cnn/autograd.h"
#include "cnn/bench/cases.h"
#include "cnn/models/registry.h"
#include "cnn/nn/init.h"

namespace {

using cnn::Shape;
using cnn::bench::ConvCase;

struct Call {
  Shape input, output;
  std::string description;
};

// Every module call of one forward pass, by the module's dotted name.
class RecordCalls : public cnn::nn::ForwardObserver {
 public:
  explicit RecordCalls(const cnn::nn::Module& root) { name_tree(root, ""); }
  void after_forward(const cnn::nn::Module& module, const cnn::Tensor& input,
                     const cnn::Tensor& output) override {
    const auto it = names_.find(&module);
    if (it != names_.end()) calls[it->second] = {input.shape(), output.shape(), module.name()};
  }
  std::map<std::string, Call> calls;

 private:
  void name_tree(const cnn::nn::Module& m, const std::string& prefix) {
    names_[&m] = prefix;
    for (const auto& [name, child] : m.named_children())
      name_tree(*child, prefix.empty() ? name : prefix + "." + name);
  }
  std::map<const cnn::nn::Module*, std::string> names_;
};

std::map<std::string, Call> run_model(const std::string& name, int64_t size, int64_t channels,
                                      int64_t classes) {
  cnn::Generator gen(1);
  const cnn::nn::SkipInitGuard skip;  // shapes only
  auto model = cnn::models::create(name, {.classes = classes, .in_channels = channels}, gen);
  model->eval();
  const cnn::NoGradGuard no_grad;
  RecordCalls record(*model);
  const cnn::nn::ObserveForwards observe(record);
  (*model)(cnn::Tensor::zeros({1, size, size, channels}));
  return record.calls;
}

std::string expected_description(const ConvCase& c) {
  std::string d = "Conv2d(" + std::to_string(c.in_channels) + ", " +
                  std::to_string(c.out_channels) + ", kernel=(" + std::to_string(c.kernel) + ", " +
                  std::to_string(c.kernel) + "), stride=(" + std::to_string(c.stride) + ", " +
                  std::to_string(c.stride) + ")";
  if (c.padding != 0) d += ", padding=" + std::to_string(c.padding);
  if (c.groups != 1) d += ", groups=" + std::to_string(c.groups);
  return d + ", bias=false)";
}

void expect_cases_match(const std::vector<ConvCase>& cases,
                        const std::map<std::string, Call>& calls) {
  ASSERT_FALSE(cases.empty());
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(c.model + " " + c.layer);
    const auto it = calls.find(c.layer);
    ASSERT_NE(it, calls.end()) << "the model runs no module named " << c.layer;
    EXPECT_EQ(it->second.description, expected_description(c));
    EXPECT_EQ(it->second.input, (Shape{1, c.height, c.width, c.in_channels}));
    EXPECT_EQ(it->second.output, (Shape{1, c.out_height(), c.out_width(), c.out_channels}));
  }
}

TEST(BenchCases, Resnet20LayersAreThoseOfOurModelOnFashionMnist) {
  const auto cases = cnn::bench::resnet20_layers();
  EXPECT_EQ(cases.size(), 6u);
  for (const ConvCase& c : cases) EXPECT_EQ(c.batch, 128);
  expect_cases_match(cases, run_model("resnet20", 28, 1, 10));
}

TEST(BenchCases, Resnet50LayersAreThoseOfOurModelAt224) {
  const auto cases = cnn::bench::resnet50_layers(16);
  EXPECT_EQ(cases.size(), 9u);
  for (const ConvCase& c : cases) EXPECT_EQ(c.batch, 16);
  expect_cases_match(cases, run_model("resnet50", 224, 3, 1000));
}

TEST(BenchCases, MobilenetV2DepthwiseLayersAreThoseOfOurModelAt224) {
  const auto cases = cnn::bench::mobilenet_v2_depthwise_layers(1);
  EXPECT_EQ(cases.size(), 9u);
  for (const ConvCase& c : cases) {
    EXPECT_EQ(c.groups, c.in_channels);
    EXPECT_EQ(c.in_channels, c.out_channels);
  }
  expect_cases_match(cases, run_model("mobilenet_v2", 224, 3, 1000));
}

TEST(BenchCases, FlopsCountTwoPerMultiplyAdd) {
  // ResNet-50's conv1 on one image: 112 * 112 * 64 * 7 * 7 * 3 = 118,013,952 multiply-adds.
  const ConvCase conv1 = cnn::bench::resnet50_layers(1).front();
  EXPECT_EQ(conv1.forward_flops(), 2.0 * 118013952);
  EXPECT_EQ(conv1.forward_backward_flops(), 3 * conv1.forward_flops());
  // A depthwise layer: each output uses KH * KW * (C / groups) = 9 weights.
  const ConvCase dw = cnn::bench::mobilenet_v2_depthwise_layers(2).front();
  EXPECT_EQ(dw.forward_flops(), 2.0 * 2 * 112 * 112 * 32 * 9);
  EXPECT_EQ(dw.shape_text(), "3x3/1 dw 32 112x112");
  EXPECT_EQ(cnn::bench::resnet20_layers()[2].shape_text(), "3x3/2 16->32 28x28");
  EXPECT_EQ(cnn::bench::GemmCase{}.flops(), 2.0 * 1024 * 1024 * 1024);
}

TEST(BenchCases, TheListsInTableOrder) {
  EXPECT_EQ(cnn::bench::layer_cases().size(), 6u + 2 * 9 + 2 * 9);
  const auto models = cnn::bench::model_cases();
  ASSERT_EQ(models.size(), 4u);
  EXPECT_EQ(models[0].model, "resnet20");
  EXPECT_EQ(models[0].mode, cnn::bench::ModelMode::train);
  EXPECT_EQ(models[0].batch, 128);
  for (size_t i = 1; i < models.size(); ++i) {
    EXPECT_EQ(models[i].mode, cnn::bench::ModelMode::inference);
    EXPECT_EQ(models[i].batch, 1);
    EXPECT_TRUE(cnn::models::exists(models[i].model)) << models[i].model;
  }
  EXPECT_EQ(cnn::bench::gemm_cases(1).size(), 1u);
  ASSERT_EQ(cnn::bench::gemm_cases(2).size(), 2u);
  EXPECT_EQ(cnn::bench::gemm_cases(2)[1].threads, 2);
}

}  // namespace
