// The torchvision-named models AlexNet, VGG, ResNet/ResNeXt/Wide ResNet and SqueezeNet
// against torchvision 0.14, with the data of scripts/golden/zoo_alexnet_vgg_resnet_squeezenet.py:
//   - every model's parameter count and state_dict keys and shapes (our layout), in order;
//   - the initialization torchvision's constructors give, by its statistics;
//   - one training step's output and gradients on the same weights and input, relative error
//     max |ours - torch| / max |torch| <= 1e-4 (the eval-mode comparison of every model, with
//     torchvision's saved weights, is torchvision_weights_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/io/safetensors.h"
#include "cnn/models/alexnet.h"
#include "cnn/models/resnet.h"
#include "cnn/models/squeezenet.h"
#include "cnn/models/vgg.h"
#include "cnn/nn/layers.h"
#include "models/zoo.h"
#include "support/tensor_testing.h"

namespace cnn::models {
namespace {

using cnn::testing::relative_error;

const std::filesystem::path kGolden =
    std::filesystem::path(CNN_GOLDEN_DIR) / "zoo_alexnet_vgg_resnet_squeezenet";
constexpr double kTolerance = 1e-4;

const std::map<std::string, Builder>& alexnet_vgg_resnet_squeezenet() {
  static const std::map<std::string, Builder> builders = [] {
    std::map<std::string, Builder> b;
    register_alexnet_vgg_resnet_squeezenet(b);
    return b;
  }();
  return builders;
}

std::shared_ptr<nn::Module> build(const std::string& name, const ModelOptions& options,
                                  uint64_t seed = 1) {
  Generator gen(seed);
  return alexnet_vgg_resnet_squeezenet().at(name)(options, gen);
}

const nlohmann::json& structure() {
  static const nlohmann::json s = [] {
    std::ifstream in(kGolden / "structure.json");
    if (!in) {
      ADD_FAILURE() << "no " << (kGolden / "structure.json")
                    << "; run: /usr/bin/python3 scripts/golden/make_golden.py --out "
                    << CNN_GOLDEN_DIR;
      return nlohmann::json::object();
    }
    return nlohmann::json::parse(in);
  }();
  return s;
}

// mean and standard deviation of a tensor's elements, and its largest magnitude
struct Stats {
  double mean = 0, std = 0, max_abs = 0;
};
Stats stats(const Tensor& t) {
  const auto v = t.to_vector();
  Stats s;
  for (float x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (float x : v) {
    s.std += (x - s.mean) * (x - s.mean);
    s.max_abs = std::max(s.max_abs, std::abs(static_cast<double>(x)));
  }
  s.std = std::sqrt(s.std / static_cast<double>(v.size()));
  return s;
}

void expect_constant(const Tensor& t, float value, const std::string& key) {
  const Stats s = stats(t);
  EXPECT_EQ(s.mean, value) << key;
  EXPECT_EQ(s.std, 0.0) << key;
}

// The initialization of torchvision's constructor for each family, checked on one model
// each by the statistics of every tensor (std within 5% where the tensor has >= 4096 elements).
void expect_torchvision_initialization(const std::string& name, const nn::Module& model) {
  const auto family = name.substr(0, name.find_first_of("0123456789_"));
  for (const auto& [key, t] : model.named_parameters()) {
    SCOPED_TRACE(name + ": " + key);
    const Stats s = stats(t);
    const bool weight = key.ends_with("weight");
    if (t.dim() == 1) {
      // biases are 0 everywhere but in AlexNet (PyTorch's default, uniform) and ResNet's fc;
      // batch norm weights are 1
      if (family == "alexnet" || key == "fc.bias") continue;
      const bool bn_weight =
          weight && model.state_dict().contains(key.substr(0, key.size() - 6) + "running_mean");
      expect_constant(t, bn_weight ? 1.0f : 0.0f, key);
      continue;
    }
    const nn::Fans fans = nn::compute_fans(t);
    double expected_std = 0, bound = 0;  // bound: uniform initializations only
    if (family == "vgg") {
      expected_std = t.dim() == 4 ? std::sqrt(2.0 / static_cast<double>(fans.fan_out)) : 0.01;
    } else if (family == "resnet" || family == "resnext" || family == "wide") {
      if (t.dim() == 4) {
        expected_std = std::sqrt(2.0 / static_cast<double>(fans.fan_out));
      } else {  // fc: PyTorch's default, uniform with bound 1 / sqrt(fan_in)
        bound = 1.0 / std::sqrt(static_cast<double>(fans.fan_in));
      }
    } else if (family == "squeezenet") {
      if (key == "classifier.1.weight") {
        expected_std = 0.01;
      } else {
        bound = std::sqrt(6.0 / static_cast<double>(fans.fan_in));  // kaiming_uniform_
      }
    } else {  // alexnet: PyTorch's defaults
      bound = 1.0 / std::sqrt(static_cast<double>(fans.fan_in));
    }
    if (bound > 0) {
      expected_std = bound / std::sqrt(3.0);
      EXPECT_LE(s.max_abs, bound * (1 + 1e-6));  // float rounding of the bound
    }
    if (t.numel() >= 4096) {
      EXPECT_NEAR(s.std, expected_std, 0.05 * expected_std);
      EXPECT_NEAR(s.mean, 0.0, 0.05 * expected_std);
    }
  }
}

// ---- structure: parameter counts, keys and shapes, initialization ----

class AlexNetVggResNetSqueezeNetStructure : public ::testing::TestWithParam<std::string> {};

TEST_P(AlexNetVggResNetSqueezeNetStructure, MatchesTorchvision) {
  const std::string name = GetParam();
  ASSERT_TRUE(structure().contains(name)) << name << " missing from structure.json";
  const auto& expected = structure()[name];
  auto model = build(name, {.classes = 1000, .in_channels = 3});
  EXPECT_EQ(model->parameter_count(), expected["parameters"].get<int64_t>());
  const nn::StateDict state = model->state_dict();
  const auto& keys = expected["state"];
  ASSERT_EQ(state.size(), keys.size());
  size_t i = 0;
  for (const auto& [key, t] : state) {
    EXPECT_EQ(key, keys[i][0].get<std::string>()) << "entry " << i;
    EXPECT_EQ(to_string(t.shape()), to_string(keys[i][1].get<Shape>())) << key;
    ++i;
  }
  if (name == "alexnet" || name == "vgg11_bn" || name == "resnet18" || name == "resnext50_32x4d" ||
      name == "squeezenet1_0") {
    expect_torchvision_initialization(name, *model);
  }
}

std::vector<std::string> torchvision_names() {
  std::vector<std::string> out;
  for (const auto& [name, _] : alexnet_vgg_resnet_squeezenet())
    if (name != "alexnet_lecture") out.push_back(name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Zoo, AlexNetVggResNetSqueezeNetStructure,
                         ::testing::ValuesIn(torchvision_names()),
                         [](const auto& param_info) { return param_info.param; });

TEST(AlexNetVggResNetSqueezeNet, GoldenCoversEveryModel) {
  std::vector<std::string> golden;
  for (const auto& [name, _] : structure().items()) golden.push_back(name);
  EXPECT_EQ(golden, torchvision_names());
}

// in_channels replaces the first convolution's 3; classes sizes the last layer.
TEST(AlexNetVggResNetSqueezeNet, InChannelsAndClasses) {
  const std::map<std::string, std::pair<std::string, std::string>> first_last = {
      {"resnet18", {"conv1.weight", "fc.weight"}},
      {"squeezenet1_1", {"features.0.weight", "classifier.1.weight"}},
  };
  for (const auto& [name, keys] : first_last) {
    auto model = build(name, {.classes = 7, .in_channels = 1});
    const nn::StateDict state = model->state_dict();
    EXPECT_EQ(state.at(keys.first).size(2), 1) << name;
    EXPECT_EQ(state.at(keys.second).size(name == "resnet18" ? 0 : 3), 7) << name;
    NoGradGuard no_grad;
    model->eval();
    EXPECT_EQ(to_string((*model)(Tensor::zeros({2, 40, 40, 1})).shape()), "[2, 7]") << name;
  }
}

// The smallest inputs torchvision's models accept (found by trying sizes with PyTorch):
// AlexNet 63, VGG 32, SqueezeNet 1.0 21, SqueezeNet 1.1 17, ResNet 1; one pixel less raises.
TEST(AlexNetVggResNetSqueezeNet, MinimumInputSizes) {
  for (const auto& [name, size] : std::vector<std::pair<std::string, int64_t>>{
           {"squeezenet1_0", 21}, {"squeezenet1_1", 17}, {"resnet18", 1}, {"alexnet", 63}}) {
    auto model = build(name, {.classes = 3, .in_channels = 2});
    model->eval();
    NoGradGuard no_grad;
    EXPECT_EQ(to_string((*model)(Tensor::zeros({1, size, size, 2})).shape()), "[1, 3]") << name;
    if (size > 1) {
      EXPECT_THROW((*model)(Tensor::zeros({1, size - 1, size - 1, 2})), Error) << name;
    }
  }
}

TEST(AlexNetVggResNetSqueezeNet, InvalidConfigurationsRaise) {
  Generator gen(3);
  const ModelOptions o{.classes = 10, .in_channels = 3};
  std::string message = cnn::testing::error_of([&] { VGG(o, {.depth = 12}, gen); });
  EXPECT_NE(message.find("depth 12"), std::string::npos) << message;
  message = cnn::testing::error_of([&] { SqueezeNet(o, "1_2", gen); });
  EXPECT_NE(message.find("'1_2'"), std::string::npos) << message;
  message = cnn::testing::error_of(
      [&] { ResNet(o, {.block = ResNetBlock::basic, .groups = 32, .width_per_group = 4}, gen); });
  EXPECT_NE(message.find("BasicBlock"), std::string::npos) << message;
}

// ---- the lecture's AlexNet ----

TEST(AlexNetVggResNetSqueezeNet, AlexNetLectureFollowsTheListing) {
  auto model = build("alexnet_lecture", {.classes = 1000, .in_channels = 3});
  // weights + biases: conv 11x11x3x96, 5x5x96x256, 3x3x256x384, 3x3x384x384, 3x3x384x256,
  // FC 9216x4096, 4096x4096, 4096x1000
  EXPECT_EQ(model->parameter_count(), 62378344);
  const nn::StateDict state = model->state_dict();
  EXPECT_EQ(to_string(state.at("features.0.weight").shape()), "[11, 11, 3, 96]");
  EXPECT_EQ(to_string(state.at("features.3.weight").shape()), "[5, 5, 96, 256]");
  EXPECT_EQ(to_string(state.at("classifier.0.weight").shape()), "[4096, 9216]");
  model->eval();
  NoGradGuard no_grad;
  const Tensor logits = (*model)(cnn::testing::randn({1, 227, 227, 3}, 5));
  EXPECT_EQ(to_string(logits.shape()), "[1, 1000]");
  // no ReLU on the class scores (the lecture's listing has one): some must be negative
  EXPECT_LT(stats(logits).mean - 3 * stats(logits).std, 0.0);
  const std::string message = cnn::testing::error_of([&] {
    (*model)(Tensor::zeros({1, 200, 200, 3}));
  });
  EXPECT_NE(message.find("6x6"), std::string::npos) << message;

  Generator gen(2);
  AlexNetLecture paper({.classes = 10, .in_channels = 3}, gen,
                       {.local_response_norm = true, .dropout = true});
  EXPECT_EQ(paper.parameter_count(), 62378344 - 4096 * 990 - 990);
  EXPECT_EQ(paper.child("features")->children().size(), 15u);   // + 2 LRN
  EXPECT_EQ(paper.child("classifier")->children().size(), 7u);  // + 2 Dropout
  paper.eval();
  EXPECT_EQ(to_string(paper(Tensor::zeros({2, 227, 227, 3})).shape()), "[2, 10]");
}

// ---- a training step against torchvision on the same weights ----

struct GoldenCase {
  nlohmann::json params;
  nn::StateDict tensors;
};

GoldenCase load_case(const std::string& name) {
  io::Metadata meta;
  GoldenCase c;
  c.tensors = io::load_safetensors((kGolden / (name + ".safetensors")).string(), &meta);
  c.params = nlohmann::json::parse(meta.at("params"));
  return c;
}

// The synthetic weight of scripts/golden/zoo_alexnet_vgg_resnet_squeezenet.py: basis[(offset + i) %
// L] * bound in PyTorch's layout (OIHW for convolutions), converted here to ours (HWIO).
Tensor synthetic_weight(const Tensor& basis, const Shape& ours, int64_t offset, float bound) {
  const bool conv = ours.size() == 4;
  const Shape torch_shape = conv ? Shape{ours[3], ours[2], ours[0], ours[1]} : ours;
  Tensor w = Tensor::empty(torch_shape);
  const float* b = basis.data();
  const int64_t length = basis.numel();
  float* p = w.data();
  for (int64_t i = 0, j = offset % length; i < w.numel(); ++i, j = j + 1 == length ? 0 : j + 1) {
    p[i] = b[j] * bound;
  }
  return conv ? w.permute({2, 3, 1, 0}).contiguous() : w;
}

// Our model for a golden case, holding the case's state.
std::shared_ptr<nn::Module> model_for(const GoldenCase& c) {
  auto model = build(c.params["model"], {.classes = c.params["classes"].get<int64_t>(),
                                         .in_channels = c.params["in_channels"].get<int64_t>()});
  static const Tensor basis =
      io::load_safetensors((kGolden / "basis.safetensors").string()).at("basis");
  const nn::StateDict ours = model->state_dict();
  nn::StateDict state;
  for (const auto& [key, t] : c.tensors)
    if (key.starts_with("state.")) state.insert(key.substr(6), t);
  for (const auto& [key, spec] : c.params["synthetic"].items()) {
    state.insert_or_assign(key, synthetic_weight(basis, ours.at(key).shape(),
                                                 spec[0].get<int64_t>(), spec[1].get<float>()));
  }
  model->load_state_dict(state);  // strict: every key present, every shape right
  return model;
}

TEST(AlexNetVggResNetSqueezeNet, ResNet18TrainingStepMatchesTorchvision) {
  const GoldenCase c = load_case("resnet18_train");
  auto model = model_for(c);
  model->train();
  Tensor x = c.tensors.at("input.x").clone();
  x.requires_grad_(true);
  const Tensor y = (*model)(x);
  y.backward(c.tensors.at("grad_output.y"));
  std::map<std::string, std::pair<Tensor, Tensor>> compared = {
      {"output", {y, c.tensors.at("output.y")}},
      {"grad of the input", {x.grad(), c.tensors.at("grad.x")}},
      {"bn1 running_mean",
       {model->state_dict().at("bn1.running_mean"), c.tensors.at("after.bn1.running_mean")}},
      {"bn1 running_var",
       {model->state_dict().at("bn1.running_var"), c.tensors.at("after.bn1.running_var")}},
  };
  const auto params = model->named_parameters();
  for (const char* key : {"conv1.weight", "layer4.1.bn2.weight", "fc.weight"}) {
    for (const auto& [name, p] : params)
      if (name == key)
        compared[std::string("grad of ") + key] = {p.grad(),
                                                   c.tensors.at(std::string("grad.") + key)};
  }
  ASSERT_EQ(compared.size(), 7u);
  for (const auto& [what, pair] : compared) {
    const double error = relative_error(pair.first, pair.second);
    EXPECT_LE(error, kTolerance) << what;
    std::cout << "resnet18 training step, " << what << ": relative error " << error << '\n';
  }
}

}  // namespace
}  // namespace cnn::models
