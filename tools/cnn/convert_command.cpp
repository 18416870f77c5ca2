// `cnn convert IN OUT`: moves a PyTorch-layout state_dict between containers - .pth (torch.save,
// read without Python and without executing its pickle) and .safetensors - keeping names,
// dtypes and layouts (OIHW stays OIHW): a pure container conversion. The input's format is
// recognised by its content, the output's by its extension.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cnn/io/weights.h"
#include "commands.h"

namespace cnn::tool {
namespace {

struct ConvertConfig {
  std::string input, output;
};

int run_convert(const ConvertConfig& c) {
  const nn::StateDict tensors = io::load_pytorch_state_dict(c.input);
  io::save_pytorch_state_dict(c.output, tensors);
  int64_t elements = 0;
  for (const auto& [name, t] : tensors) elements += t.numel();
  std::printf("%s -> %s: %zu tensors, %lld elements\n", c.input.c_str(), c.output.c_str(),
              tensors.size(), static_cast<long long>(elements));
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
  return [config] { return run_convert(*config); };
}

}  // namespace cnn::tool
