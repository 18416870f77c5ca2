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
#include "cnn/nn/summary.h"
#include "cnn/onnx/onnx.h"
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
  bool input_given = false;
};

const CLI::Validator kPositiveWhole(
    [](std::string& value) {
      if (!value.empty() && value.size() <= 9 &&
          value.find_first_not_of("0123456789") == std::string::npos && std::stoll(value) > 0)
        return std::string();
      return "must be a positive whole number, got '" + value + "'";
    },
    "POSITIVE");

// An ONNX file: one row per node, shapes in ONNX's [C, H, W] order; the input is the declared
// one unless --input says otherwise.
int run_onnx_summary(const SummaryConfig& c) {
  auto model = onnx::load(c.model);
  CNN_CHECK(model->inputs().size() == 1, c.model, ": summaries take models with one input");
  Shape declared = model->inputs()[0].shape;  // [N, C, H, W]
  Shape input;                                // [H, W, C]
  if (c.input_given) {
    input = *parse_image_shape(c.input);
  } else {
    CNN_CHECK(declared.size() == 4 && declared[1] > 0 && declared[2] > 0 && declared[3] > 0,
              c.model, ": the input's size is symbolic (", to_string(declared),
              "); give --input HxWxC");
    input = {declared[2], declared[3], declared[1]};
  }
  const std::vector<onnx::Model::NodeRun> runs =
      model->run_nodes({Tensor::zeros({1, input[0], input[1], input[2]})});
  nn::ModelSummary summary;
  summary.model = c.model;
  summary.input = input;
  summary.parameters = model->parameter_count();
  for (const auto& r : runs) {
    nn::LayerSummary layer;
    layer.name = r.name;
    layer.type = r.op;
    layer.description = r.op;
    if (!r.output_shapes.empty() && !r.output_shapes[0].empty())
      layer.output_shape = Shape(r.output_shapes[0].begin() + 1, r.output_shapes[0].end());
    layer.parameters = r.parameters;
    layer.macs = r.macs;
    summary.macs += r.macs;
    summary.layers.push_back(layer);
  }
  const std::string text = c.json ? nn::format_json(summary) : nn::format_table(summary);
  std::fputs(text.c_str(), stdout);
  return 0;
}

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
  if (c.model.size() > 5 && c.model.compare(c.model.size() - 5, 5, ".onnx") == 0)
    return run_onnx_summary(c);
  const Shape input = *parse_image_shape(c.input);  // validated by image_shape()
  Generator gen;
  nn::SkipInitGuard skip;  // the weights play no part in shapes, counts or multiply-adds
  auto model = models::create(c.model, {.classes = c.classes, .in_channels = input[2]}, gen);
  nn::ModelSummary summary = nn::summarize(*model, input);
  summary.model = c.model;
  const std::string text = c.json ? nn::format_json(summary) : nn::format_table(summary);
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace

Run add_summary_command(CLI::App& app) {
  auto config = std::make_shared<SummaryConfig>();
  CLI::App* cmd = app.add_subcommand(
      "summary", "Print each layer's output shape, parameters and multiply-adds for one image");
  CLI::Option* model =
      cmd->add_option("MODEL", config->model,
                      "a registered model, e.g. resnet20 (see --list), or an ONNX file (*.onnx)");
  CLI::Option* input =
      cmd->add_option("--input", config->input,
                      "the image's shape HxWxC (ONNX files: default the declared one)")
          ->check(image_shape())
          ->capture_default_str();
  cmd->add_option("--classes", config->classes, "outputs of the classifier")
      ->check(kPositiveWhole)
      ->capture_default_str();
  cmd->add_flag("--json", config->json, "print JSON: model, input, parameters, macs, layers");
  cmd->add_flag("--list", config->list, "print the registered model names")->excludes(model);
  cmd->parse_complete_callback([config, input] {
    config->input_given = input->count() > 0;
    if (config->model.empty() && !config->list)
      throw CLI::RequiredError("MODEL is required (cnn summary --list names the models)",
                               CLI::ExitCodes::RequiredError);
  });
  return [config] { return run_summary(*config); };
}

}  // namespace cnn::tool
