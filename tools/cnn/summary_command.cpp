// `cnn summary MODEL`: each layer's output shape, parameters and multiply-adds for one image,
// with totals, as a table or (--json) as JSON; `cnn summary --list` names the models.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cnn/models/registry.h"
#include "cnn/nn/init.h"
#include "cnn/train/summary.h"
#include "commands.h"
#include "options.h"

namespace cnn::tool {
namespace {

struct SummaryConfig {
  std::string model;
  std::string input = "28x28x1";  // Fashion-MNIST's images, what `cnn train` uses by default
  int64_t classes = 10;
  bool json = false;
  bool list = false;
};

const CLI::Validator kPositiveWhole(
    [](std::string& value) {
      if (!value.empty() && value.size() <= 9 &&
          value.find_first_not_of("0123456789") == std::string::npos && std::stoll(value) > 0)
        return std::string();
      return "must be a positive whole number, got '" + value + "'";
    },
    "POSITIVE");

int run_summary(const SummaryConfig& c) {
  if (c.list) {
    const std::vector<std::string> names = models::names();
    if (c.json) {
      std::printf("%s\n", nlohmann::json(names).dump().c_str());
    } else {
      for (const std::string& name : names) std::printf("%s\n", name.c_str());
    }
    return 0;
  }
  const Shape input = *parse_image_shape(c.input);  // validated by image_shape()
  Generator gen;
  nn::SkipInitGuard skip;  // the weights play no part in shapes, counts or multiply-adds
  auto model = models::create(c.model, {.classes = c.classes, .in_channels = input[2]}, gen);
  train::ModelSummary summary = train::summarize(*model, input);
  summary.model = c.model;
  const std::string text = c.json ? train::format_json(summary) : train::format_table(summary);
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace

Run add_summary_command(CLI::App& app) {
  auto config = std::make_shared<SummaryConfig>();
  CLI::App* cmd = app.add_subcommand(
      "summary", "Print each layer's output shape, parameters and multiply-adds for one image");
  CLI::Option* model =
      cmd->add_option("MODEL", config->model, "a registered model, e.g. resnet20 (see --list)");
  cmd->add_option("--input", config->input, "the image's shape HxWxC")
      ->check(image_shape())
      ->capture_default_str();
  cmd->add_option("--classes", config->classes, "outputs of the classifier")
      ->check(kPositiveWhole)
      ->capture_default_str();
  cmd->add_flag("--json", config->json, "print JSON: model, input, parameters, macs, layers");
  cmd->add_flag("--list", config->list, "print the registered model names")->excludes(model);
  cmd->parse_complete_callback([config] {
    if (config->model.empty() && !config->list)
      throw CLI::RequiredError("MODEL is required (cnn summary --list names the models)",
                               CLI::ExitCodes::RequiredError);
  });
  return [config] { return run_summary(*config); };
}

}  // namespace cnn::tool
