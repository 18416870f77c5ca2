// `cnn convert IN OUT`: moves a PyTorch-layout state_dict between containers - .pth (torch.save,
// read without Python and without executing its pickle) and .safetensors - keeping names,
// dtypes and layouts (OIHW stays OIHW): a pure container conversion. The input's format is
// recognised by its content, the output's by its extension. Writing goes through
// io::save_pytorch_state_dict, as io::save_weights does, with the module versions PyTorch keeps
// in a state_dict's _metadata: those the input records, or those of the zoo model --model names
// (torchvision's MNASNet refuses a state_dict without them).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cnn/error.h"
#include "cnn/io/weights.h"
#include "cnn/models/registry.h"
#include "cnn/nn/init.h"
#include "commands.h"

namespace cnn::tool {
namespace {

struct ConvertConfig {
  std::string input, output, model;
};

// The module versions of the zoo model `name`, after checking that every tensor of `tensors`
// is one of its state_dict's (a state_dict of another model would get wrong versions).
io::ModuleVersions versions_of_model(const std::string& name, const nn::StateDict& tensors) {
  nn::SkipInitGuard skip;  // only the module tree matters, not the weights
  Generator gen(0);
  const auto model = models::create(name, models::ModelOptions{}, gen);
  const nn::StateDict own = model->state_dict();
  for (const auto& [key, t] : tensors)
    CNN_CHECK(own.contains(key), "--model ", name, ": the state_dict's '", key,
              "' is not a key of ", name, "'s state_dict: it is not a state_dict of this model");
  return io::module_versions(*model);
}

int run_convert(const ConvertConfig& c) {
  io::ModuleVersions versions;
  const nn::StateDict tensors = io::load_pytorch_state_dict(c.input, &versions);
  std::string origin = versions.empty() ? "none" : "from " + c.input;
  if (!c.model.empty()) {
    versions = versions_of_model(c.model, tensors);
    origin = "from --model " + c.model;
  }
  io::save_pytorch_state_dict(c.output, tensors, versions);
  int64_t elements = 0;
  for (const auto& [name, t] : tensors) elements += t.numel();
  std::printf("%s -> %s: %zu tensors, %lld elements, module versions %s\n", c.input.c_str(),
              c.output.c_str(), tensors.size(), static_cast<long long>(elements), origin.c_str());
  if (versions.empty() && std::filesystem::path(c.output).extension() != ".safetensors")
    std::fprintf(stderr,
                 "note: %s records no module versions, so the .pth has no _metadata; PyTorch "
                 "models that check it (torchvision's MNASNet) refuse it: name the model with "
                 "--model\n",
                 c.input.c_str());
  return 0;
}

}  // namespace

Run add_convert_command(CLI::App& app) {
  auto config = std::make_shared<ConvertConfig>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a PyTorch state_dict between .pth and .safetensors (layout unchanged)");
  cmd->add_option("IN", config->input, "a .pth (torch.save of a state_dict) or .safetensors file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("OUT", config->output, "the file to write: .safetensors, .pth or .pt")
      ->required()
      ->check(CLI::Validator(
          [](std::string& value) {
            const std::string ext = std::filesystem::path(value).extension().string();
            if (ext == ".safetensors" || ext == ".pth" || ext == ".pt") return std::string();
            return "must end in .safetensors, .pth or .pt, got '" + value + "'";
          },
          "FILE"));
  cmd->add_option("--model", config->model,
                  "the zoo model the state_dict belongs to: its module versions go into the "
                  "output (a .pth's _metadata), replacing any the input records")
      ->check(CLI::Validator(
          [](std::string& value) {
            return models::exists(value)
                       ? std::string()
                       : "no model '" + value + "' in the zoo (cnn summary --list names them)";
          },
          "NAME"));
  return [config] { return run_convert(*config); };
}

}  // namespace cnn::tool
