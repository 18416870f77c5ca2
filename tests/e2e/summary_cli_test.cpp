// `cnn summary`: the table and the JSON for a registered model, the model list, and the exit
// codes of the shell contract (usage errors 2, runtime errors 1).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cnn/models/registry.h"
#include "support/process.h"

namespace {

using Result = cnn::testing::ProcessResult;

Result run_summary(const std::string& args) {
  return cnn::testing::run_cnn("summary " + args);
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(SummaryCli, PrintsTheTableWithTotals) {
  const Result r = run_summary("resnet20 --input 32x32x3");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* needle : {"Model resnet20, input 32x32x3", "layer2.0.conv1", "[16, 16, 32]",
                             "Total", "269,722", "40,551,040"})
    EXPECT_TRUE(contains(r.output, needle)) << needle << "\n" << r.output;
}

TEST(SummaryCli, DefaultsToFashionMnistImages) {
  const Result r = run_summary("resnet20");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "input 28x28x1")) << r.output;
  EXPECT_TRUE(contains(r.output, "269,434")) << r.output;
}

TEST(SummaryCli, JsonGivesTheSameNumbers) {
  const Result r = run_summary("resnet56 --input 32x32x3 --classes 10 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("model"), "resnet56");
  EXPECT_EQ(j.at("input"), nlohmann::json({32, 32, 3}));
  EXPECT_EQ(j.at("parameters").get<int64_t>(), 853018);
  EXPECT_GT(j.at("macs").get<int64_t>(), 125000000);  // the paper's "125M"
  EXPECT_LT(j.at("macs").get<int64_t>(), 127000000);
  EXPECT_EQ(j.at("layers").size(), 111u);
}

TEST(SummaryCli, ListsTheModels) {
  const Result r = run_summary("--list");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* name :
       {"resnet20\n", "resnet110\n", "plain20\n", "plain110\n", "alexnet\n", "vgg16_bn\n",
        "resnext50_32x4d\n", "shufflenet_v2_x1_0\n", "mnasnet1_3\n"})
    EXPECT_TRUE(contains(r.output, name)) << name << "\n" << r.output;
  const Result j = run_summary("--list --json");
  ASSERT_EQ(j.code, 0) << j.output;
  EXPECT_EQ(nlohmann::json::parse(j.output).get<std::vector<std::string>>(), cnn::models::names());
}

TEST(SummaryCli, UnknownModelExitsOneWithTheList) {
  const Result r = run_summary("resnet21");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown model 'resnet21'")) << r.output;
  EXPECT_TRUE(contains(r.output, "resnet20, resnet20_formula, resnet32")) << r.output;
}

TEST(SummaryCli, UsageErrorsExitTwo) {
  for (const char* input : {"32x32", "32x32x3x1", "0x32x3", "axbxc", "32xx3", "-1x32x3"}) {
    const Result r = run_summary(std::string("resnet20 --input=") + input);
    EXPECT_EQ(r.code, 2) << input << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "--input: must be HxWxC")) << r.output;
    EXPECT_TRUE(contains(r.output, std::string("got '") + input + "'")) << r.output;
    EXPECT_TRUE(contains(r.output, "--help")) << r.output;
  }
  const Result missing = run_summary("");
  EXPECT_EQ(missing.code, 2) << missing.output;
  EXPECT_TRUE(contains(missing.output, "MODEL is required")) << missing.output;
  const Result classes = run_summary("resnet20 --classes 0");
  EXPECT_EQ(classes.code, 2) << classes.output;
  EXPECT_TRUE(contains(classes.output, "--classes: must be a positive whole number, got '0'"))
      << classes.output;
  EXPECT_EQ(run_summary("resnet20 --list").code, 2);
}

TEST(SummaryCli, HelpNamesTheOptions) {
  const Result r = run_summary("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* option : {"MODEL", "--input", "--classes", "--json", "--list"})
    EXPECT_TRUE(contains(r.output, option)) << option;
}

}  // namespace
