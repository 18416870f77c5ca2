#include "cnn/bench/cases.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/models/registry.h"
#include "cnn/nn/conv.h"
#include "cnn/nn/init.h"

namespace cnn::bench {

int64_t ConvCase::out_height() const {
  return (height + 2 * padding - kernel) / stride + 1;
}
int64_t ConvCase::out_width() const {
  return (width + 2 * padding - kernel) / stride + 1;
}

double ConvCase::forward_flops() const {
  const int64_t macs_per_output = kernel * kernel * (in_channels / groups);
  return 2.0 * static_cast<double>(batch * out_height() * out_width() * out_channels) *
         static_cast<double>(macs_per_output);
}

std::string ConvCase::shape_text() const {
  std::ostringstream out;
  out << kernel << "x" << kernel << "/" << stride << " ";
  if (groups == in_channels && groups == out_channels && groups > 1) {
    out << "dw " << in_channels;
  } else {
    out << in_channels << "->" << out_channels;
    if (groups > 1) out << " g" << groups;
  }
  out << " " << height << "x" << width;
  return out.str();
}

namespace {

// Each Conv2d module called in one forward pass, under the dotted name of its module.
class RecordConvolutions : public nn::ForwardObserver {
 public:
  explicit RecordConvolutions(const nn::Module& root) { name_tree(root, ""); }

  void after_forward(const nn::Module& module, const Tensor& input, const Tensor&) override {
    const auto* conv = dynamic_cast<const nn::Conv2d*>(&module);
    if (conv == nullptr) return;
    const auto name = names_.find(&module);
    if (name == names_.end() || calls.contains(name->second)) return;
    order.push_back(name->second);
    calls.emplace(name->second, Call{conv, input.shape()});
  }

  struct Call {
    const nn::Conv2d* conv;
    Shape input;  // [1, H, W, C]
  };
  std::vector<std::string> order;  // the names, in the order first called
  std::map<std::string, Call> calls;

 private:
  void name_tree(const nn::Module& m, const std::string& prefix) {
    names_[&m] = prefix;
    for (const auto& [name, child] : m.named_children()) {
      std::string path = prefix;
      if (!path.empty()) path.append(".");
      path.append(name);
      name_tree(*child, path);
    }
  }
  std::map<const nn::Module*, std::string> names_;
};

ConvCase conv_case(const std::string& model, const std::string& layer,
                   const RecordConvolutions::Call& call, int64_t batch) {
  const nn::Conv2dOptions& o = call.conv->options();
  const Pad2d& p = o.padding;
  if (o.kernel.h != o.kernel.w || o.stride.h != o.stride.w || p.top != p.bottom ||
      p.top != p.left || p.top != p.right || o.dilation != Size2(1))
    fail("cnn bench: ", model, " layer ", layer,
         " is not a square, undilated convolution with equal stride and padding on both axes");
  return ConvCase{.model = model,
                  .layer = layer,
                  .batch = batch,
                  .height = call.input.at(1),
                  .width = call.input.at(2),
                  .in_channels = call.conv->in_channels(),
                  .out_channels = call.conv->out_channels(),
                  .kernel = o.kernel.h,
                  .stride = o.stride.h,
                  .padding = p.top,
                  .groups = o.groups};
}

nlohmann::json read_case_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cnn bench: cannot read the case list ", path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail("cnn bench: ", path, ": ", e.what());
  }
}

}  // namespace

std::vector<ConvCase> model_conv_layers(const std::string& model, int64_t height, int64_t width,
                                        int64_t channels, int64_t classes, int64_t batch,
                                        const std::vector<std::string>& layers) {
  Generator gen(1);
  const nn::SkipInitGuard skip;  // shapes only
  auto module = models::create(model, {.classes = classes, .in_channels = channels}, gen);
  module->eval();
  const NoGradGuard no_grad;
  RecordConvolutions record(*module);
  {
    const nn::ObserveForwards observe(record);
    (*module)(Tensor::zeros({1, height, width, channels}));
  }
  std::vector<ConvCase> cases;
  for (const std::string& layer : layers.empty() ? record.order : layers) {
    const auto it = record.calls.find(layer);
    if (it == record.calls.end()) fail("cnn bench: ", model, " runs no Conv2d named '", layer, "'");
    cases.push_back(conv_case(model, layer, it->second, batch));
  }
  return cases;
}

std::vector<ConvCase> layer_cases(const std::string& conv2d_cases_file) {
  const nlohmann::json file = read_case_list(conv2d_cases_file);
  std::vector<ConvCase> all;
  try {
    for (const nlohmann::json& entry : file.at("bench")) {
      const auto model = entry.at("model").get<std::string>();
      const auto input = entry.at("input").get<std::vector<int64_t>>();  // H, W, C
      const auto layers = entry.at("layers").get<std::vector<std::string>>();
      if (input.size() != 3)
        fail("cnn bench: ", model, "'s input must be [height, width, channels]");
      const std::vector<ConvCase> found = model_conv_layers(
          model, input[0], input[1], input[2], entry.at("classes").get<int64_t>(), 1, layers);
      for (const int64_t batch : entry.at("batches").get<std::vector<int64_t>>())
        for (ConvCase c : found) {
          c.batch = batch;
          all.push_back(std::move(c));
        }
    }
  } catch (const nlohmann::json::exception& e) {
    fail("cnn bench: ", conv2d_cases_file, ": ", e.what());
  }
  return all;
}

const char* mode_name(ModelMode mode) {
  return mode == ModelMode::train ? "train" : "inference";
}

std::vector<ModelCase> model_cases() {
  return {{.model = "resnet20",
           .mode = ModelMode::train,
           .batch = 128,
           .height = 28,
           .width = 28,
           .channels = 1,
           .classes = 10},
          {.model = "resnet18", .batch = 1},
          {.model = "resnet18", .batch = 16},
          {.model = "resnet50", .batch = 1},
          {.model = "resnet50", .batch = 16},
          {.model = "mobilenet_v2", .batch = 1},
          {.model = "mobilenet_v2", .batch = 16}};
}

std::vector<GemmCase> gemm_cases(const std::string& gemm_cases_file, int threads) {
  const nlohmann::json file = read_case_list(gemm_cases_file);
  std::vector<GemmCase> cases;
  try {
    for (const nlohmann::json& c : file.at("cases")) {
      bool bench = false;
      for (const nlohmann::json& use : c.at("use"))
        bench = bench || use.get<std::string>() == "bench";
      if (!bench) continue;
      const GemmCase one{.m = c.at("m").get<int64_t>(),
                         .n = c.at("n").get<int64_t>(),
                         .k = c.at("k").get<int64_t>(),
                         .threads = 1};
      cases.push_back(one);
      if (threads > 1) cases.push_back({.m = one.m, .n = one.n, .k = one.k, .threads = threads});
    }
  } catch (const nlohmann::json::exception& e) {
    fail("cnn bench: ", gemm_cases_file, ": ", e.what());
  }
  return cases;
}

}  // namespace cnn::bench
