// Model summaries: the forward observers they rest on (Module::operator() and
// ObserveForwards), then the shapes, parameter counts and multiply-adds of the CIFAR ResNets
// against the paper's numbers and an independent count, and the table and JSON forms.
#include "cnn/nn/summary.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cnn/models/registry.h"
#include "cnn/nn/layers.h"
#include "cnn/ops/elementwise.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using testing::error_of;

// ---- forward observers ----

// Writes "before <path>" / "after <path> <output shape>" for every observed call.
class EventLog final : public nn::ForwardObserver {
 public:
  explicit EventLog(const nn::Module& root) { name_tree(root, "root"); }

  void before_forward(const nn::Module& module, const Tensor& /*input*/) override {
    events.push_back("before " + path_of(module));
  }
  void after_forward(const nn::Module& module, const Tensor& /*input*/,
                     const Tensor& output) override {
    events.push_back("after " + path_of(module) + " " + to_string(output.shape()));
  }

  std::vector<std::string> events;

 private:
  void name_tree(const nn::Module& module, const std::string& path) {
    paths_[&module] = path;
    for (const auto& [name, child] : module.named_children()) name_tree(*child, path + "." + name);
  }
  std::string path_of(const nn::Module& module) const {
    const auto it = paths_.find(&module);
    return it == paths_.end() ? "?" : it->second;
  }
  std::unordered_map<const nn::Module*, std::string> paths_;
};

// Sequential(Sequential(Linear(4, 3), ReLU), Linear(3, 2))
std::shared_ptr<nn::Sequential> nested_model(Generator& gen) {
  auto inner = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(4, 3, gen),
                                                std::make_shared<nn::ReLU>());
  return std::make_shared<nn::Sequential>(inner, std::make_shared<nn::Linear>(3, 2, gen));
}

TEST(ForwardObserver, SeesNestedCallsInExecutionOrderWithTheirPaths) {
  Generator gen(1);
  auto model = nested_model(gen);
  EventLog log(*model);
  {
    nn::ObserveForwards observe(log);
    (*model)(Tensor::zeros({5, 4}));
  }
  EXPECT_EQ(log.events,
            (std::vector<std::string>{
                "before root", "before root.0", "before root.0.0", "after root.0.0 [5, 3]",
                "before root.0.1", "after root.0.1 [5, 3]", "after root.0 [5, 3]", "before root.1",
                "after root.1 [5, 2]", "after root [5, 2]"}));
}

TEST(ForwardObserver, NothingIsReportedWithoutAnObserver) {
  Generator gen(1);
  auto model = nested_model(gen);
  EventLog log(*model);
  { nn::ObserveForwards observe(log); }
  (*model)(Tensor::zeros({1, 4}));
  // forward() itself is never observed, only operator().
  nn::ObserveForwards observe(log);
  model->at<nn::Linear>(1)->forward(Tensor::zeros({1, 3}));
  EXPECT_TRUE(log.events.empty());
}

TEST(ForwardObserver, GuardsNestAndRestoreThePreviousObserver) {
  Generator gen(1);
  nn::Linear layer(2, 2, gen);
  EventLog outer(layer), inner(layer);
  nn::ObserveForwards observe_outer(outer);
  layer(Tensor::zeros({1, 2}));
  {
    nn::ObserveForwards observe_inner(inner);
    layer(Tensor::zeros({1, 2}));
  }
  layer(Tensor::zeros({1, 2}));
  EXPECT_EQ(outer.events.size(), 4u);  // before and after of the first and third calls
  EXPECT_EQ(inner.events.size(), 2u);
}

TEST(ForwardObserver, IsPerThread) {
  Generator gen(1);
  nn::Linear layer(2, 2, gen);
  EventLog log(layer);
  nn::ObserveForwards observe(log);
  std::thread([&] { layer(Tensor::zeros({1, 2})); }).join();
  EXPECT_TRUE(log.events.empty());
}

// Runs a module from its callback: that call must not be reported (nor recurse forever).
class CallingObserver final : public nn::ForwardObserver {
 public:
  explicit CallingObserver(nn::Module& probe) : probe_(probe) {}
  void after_forward(const nn::Module& /*module*/, const Tensor& /*input*/,
                     const Tensor& output) override {
    ++calls;
    probe_(output);
  }
  int calls = 0;

 private:
  nn::Module& probe_;
};

TEST(ForwardObserver, CallsMadeByACallbackAreNotReported) {
  nn::ReLU relu;
  CallingObserver observer(relu);
  nn::ObserveForwards observe(observer);
  relu(Tensor::zeros({3}));
  EXPECT_EQ(observer.calls, 1);
  relu(Tensor::zeros({3}));  // still installed afterwards
  EXPECT_EQ(observer.calls, 2);
}

// ---- multiply-adds of single layers ----

TEST(Summary, MultiplyAddsOfConvolutionAndLinear) {
  Generator gen(1);
  // 9x9 input, kernel 3, stride 2 -> 4x4; 6 filters each over 3x3x(4 / 2 groups) inputs.
  auto conv = std::make_shared<nn::Conv2d>(
      4, 6, nn::Conv2dOptions{.kernel = 3, .stride = 2, .groups = 2}, gen);
  const nn::ModelSummary s = nn::summarize(*conv, {9, 9, 4});
  ASSERT_EQ(s.layers.size(), 1u);
  EXPECT_EQ(s.layers[0].name, "Conv2d");  // the model itself is the leaf
  EXPECT_EQ(s.layers[0].output_shape, (Shape{4, 4, 6}));
  EXPECT_EQ(s.macs, 4 * 4 * 6 * (3 * 3 * 2));
  EXPECT_EQ(s.parameters, 3 * 3 * 2 * 6 + 6);

  nn::Linear linear(5, 3, gen);
  EXPECT_EQ(nn::multiply_adds(linear, Tensor::zeros({7, 3})), 5 * 3);  // per batch item
  nn::ReLU relu;
  EXPECT_EQ(nn::multiply_adds(relu, Tensor::zeros({1, 8, 8, 3})), 0);
}

// ---- the CIFAR ResNets ----

// Multiply-adds of ResNet-(6n+2) counted from the architecture, not from a forward: a 3x3
// convolution does H * W * out * 9 * in; the grid halves (rounding up: stride 2, padding 1)
// at the first block of stages 2 and 3; each stage has 2n convolutions.
int64_t resnet_cifar_macs(int64_t depth, int64_t h, int64_t w, int64_t channels, int64_t classes) {
  const int64_t n = (depth - 2) / 6;
  int64_t macs = h * w * 16 * 9 * channels;
  int64_t in = 16;
  for (int64_t width : {16, 32, 64}) {
    if (width > 16) h = (h + 1) / 2, w = (w + 1) / 2;
    macs += h * w * width * 9 * in + (2 * n - 1) * h * w * width * 9 * width;
    in = width;
  }
  return macs + 64 * classes;
}

nn::ModelSummary summarize_model(const std::string& name, const Shape& input,
                                 int64_t classes = 10) {
  Generator gen(1);
  auto model = models::create(name, {.classes = classes, .in_channels = input[2]}, gen);
  return nn::summarize(*model, input);
}

const nn::LayerSummary& layer_named(const nn::ModelSummary& s, const std::string& name) {
  for (const auto& layer : s.layers)
    if (layer.name == name) return layer;
  ADD_FAILURE() << "no layer " << name;
  return s.layers.front();
}

int64_t sum_of_layer_parameters(const nn::ModelSummary& s) {
  int64_t sum = 0;
  for (const auto& layer : s.layers) sum += layer.parameters;
  return sum;
}

TEST(Summary, ResNet20OnCifarMatchesThePaper) {
  const nn::ModelSummary s = summarize_model("resnet20", {32, 32, 3});
  EXPECT_EQ(s.parameters, 269722);  // the paper's 0.27M; torchvision-style counts agree
  EXPECT_EQ(s.macs, 40551040);      // the paper's "41M"
  EXPECT_EQ(s.macs, resnet_cifar_macs(20, 32, 32, 3, 10));
  EXPECT_EQ(sum_of_layer_parameters(s), s.parameters);
  // 19 convolutions, 19 batch norms, 1 Linear; ReLU and pooling are functions, not modules.
  EXPECT_EQ(s.layers.size(), 39u);
  EXPECT_EQ(s.layers.front().name, "conv1");
  EXPECT_EQ(s.layers.front().output_shape, (Shape{32, 32, 16}));
  EXPECT_EQ(s.layers.front().macs, 32 * 32 * 16 * 9 * 3);
  EXPECT_EQ(layer_named(s, "layer1.2.conv2").output_shape, (Shape{32, 32, 16}));
  EXPECT_EQ(layer_named(s, "layer2.0.conv1").output_shape, (Shape{16, 16, 32}));
  EXPECT_EQ(layer_named(s, "layer2.0.conv1").macs, 16 * 16 * 32 * 9 * 16);
  EXPECT_EQ(layer_named(s, "layer3.2.bn2").output_shape, (Shape{8, 8, 64}));
  EXPECT_EQ(layer_named(s, "layer3.2.bn2").parameters, 2 * 64);
  EXPECT_EQ(layer_named(s, "layer3.2.bn2").macs, 0);
  EXPECT_EQ(s.layers.back().name, "fc");
  EXPECT_EQ(s.layers.back().type, "Linear");
  EXPECT_EQ(s.layers.back().output_shape, (Shape{10}));
  EXPECT_EQ(s.layers.back().parameters, 64 * 10 + 10);
}

TEST(Summary, ResNet20OnFashionMnist) {
  const nn::ModelSummary s = summarize_model("resnet20", {28, 28, 1});
  EXPECT_EQ(s.parameters, 269722 - 16 * 9 * 2);  // the stem sees 1 channel instead of 3
  EXPECT_EQ(s.macs, resnet_cifar_macs(20, 28, 28, 1, 10));
  EXPECT_EQ(layer_named(s, "layer3.0.conv1").output_shape, (Shape{7, 7, 64}));
}

TEST(Summary, ResNet56AndPlain20) {
  const nn::ModelSummary r56 = summarize_model("resnet56", {32, 32, 3});
  EXPECT_EQ(r56.parameters, 853018);  // the paper's 0.85M
  EXPECT_EQ(r56.macs, resnet_cifar_macs(56, 32, 32, 3, 10));
  EXPECT_EQ(r56.layers.size(), 2u * 55 + 1);

  // Option-A shortcuts hold no parameters and the counts leave additions out, so the plain
  // network and the residual one have the same parameters and multiply-adds.
  const nn::ModelSummary plain = summarize_model("plain20", {32, 32, 3}, 100);
  const nn::ModelSummary resnet = summarize_model("resnet20", {32, 32, 3}, 100);
  EXPECT_EQ(plain.parameters, resnet.parameters);
  EXPECT_EQ(plain.parameters, 269722 + 64 * 90 + 90);
  EXPECT_EQ(plain.macs, resnet_cifar_macs(20, 32, 32, 3, 100));
  EXPECT_EQ(plain.layers.size(), resnet.layers.size());
}

// ---- counting rules ----

// A composite holding a parameter of its own besides its child's.
class Scaled : public nn::Module {
 public:
  explicit Scaled(Generator& gen) : Module("Scaled") {
    scale_ = register_parameter("scale", Tensor::ones({3}));
    linear_ = register_module("linear", std::make_shared<nn::Linear>(4, 3, gen));
  }
  Tensor forward(const Tensor& x) override { return mul((*linear_)(x), scale_); }

 private:
  Tensor scale_;
  std::shared_ptr<nn::Linear> linear_;
};

TEST(Summary, ParametersOfCompositesCountInTheTotal) {
  Generator gen(1);
  Scaled model(gen);
  const nn::ModelSummary s = nn::summarize(model, {4});
  ASSERT_EQ(s.layers.size(), 1u);
  EXPECT_EQ(s.layers[0].name, "linear");
  EXPECT_EQ(s.parameters, 3 + 4 * 3 + 3);
  EXPECT_EQ(sum_of_layer_parameters(s), 4 * 3 + 3);
  EXPECT_NE(nn::format_table(s).find("The listed layers hold 15 parameters"), std::string::npos)
      << nn::format_table(s);
}

TEST(Summary, ALayerCalledTwiceCountsItsWorkTwiceAndItsParametersOnce) {
  Generator gen(1);
  auto linear = std::make_shared<nn::Linear>(3, 3, gen);
  nn::Sequential model(linear, std::make_shared<nn::ReLU>(), linear);
  const nn::ModelSummary s = nn::summarize(model, {3});
  ASSERT_EQ(s.layers.size(), 3u);
  EXPECT_EQ(s.layers[2].name, "0");  // its first path
  EXPECT_EQ(s.layers[0].parameters, 12);
  EXPECT_EQ(s.layers[2].parameters, 0);
  EXPECT_EQ(s.parameters, 12);
  EXPECT_EQ(s.macs, 2 * 9);
}

// Calls a Linear that it never registered, then its registered ReLU.
class Hidden : public nn::Module {
 public:
  explicit Hidden(Generator& gen)
      : Module("Hidden"), linear_(std::make_shared<nn::Linear>(2, 5, gen)) {
    relu_ = register_module("relu", std::make_shared<nn::ReLU>());
  }
  Tensor forward(const Tensor& x) override { return (*relu_)((*linear_)(x)); }

 private:
  std::shared_ptr<nn::Linear> linear_;
  std::shared_ptr<nn::ReLU> relu_;
};

TEST(Summary, AnUnregisteredLayerIsListedWithoutParameters) {
  Generator gen(1);
  Hidden model(gen);
  const nn::ModelSummary s = nn::summarize(model, {2});
  ASSERT_EQ(s.layers.size(), 2u);
  EXPECT_EQ(s.layers[0].name, "(unregistered)");
  EXPECT_EQ(s.layers[0].type, "Linear");
  EXPECT_EQ(s.layers[0].parameters, 0);
  EXPECT_EQ(s.layers[0].macs, 10);
  EXPECT_EQ(s.layers[1].name, "relu");
  EXPECT_EQ(s.parameters, 0);
}

TEST(Summary, LeavesTrainingModesAndStatisticsAsTheyWere) {
  Generator gen(1);
  auto model = models::create("resnet20", {.classes = 10, .in_channels = 1}, gen);
  model->child("layer2")->eval();
  nn::summarize(*model, {28, 28, 1});
  EXPECT_TRUE(model->is_training());
  EXPECT_TRUE(model->child("layer1")->is_training());
  EXPECT_FALSE(model->child("layer2")->child("0")->is_training());
  EXPECT_EQ(model->state_dict().at("bn1.num_batches_tracked").data_i64()[0], 0);

  // A forward that fails (3 channels into a 1-channel stem) restores the modes too.
  EXPECT_NE(error_of([&] { nn::summarize(*model, {28, 28, 3}); }), "");
  EXPECT_TRUE(model->child("layer1")->is_training());
  EXPECT_FALSE(model->child("layer2")->is_training());
}

TEST(Summary, RejectsAnEmptyOrZeroInputShape) {
  Generator gen(1);
  nn::Linear linear(3, 3, gen);
  EXPECT_EQ(error_of([&] { nn::summarize(linear, {}); }),
            "summarize: the input shape of one image must have positive extents, got []");
  EXPECT_NE(error_of([&] { nn::summarize(linear, {0, 3}); }).find("got [0, 3]"), std::string::npos);
}

// ---- output forms ----

TEST(Summary, TableListsLayersAndTotals) {
  nn::ModelSummary s = summarize_model("resnet20", {32, 32, 3});
  s.model = "resnet20";
  const std::string table = nn::format_table(s);
  for (const char* needle : {"Model resnet20, input 32x32x3", "Output shape", "MACs",
                             "layer3.2.conv2", "[8, 8, 64]", "36,864", "269,722", "40,551,040"})
    EXPECT_NE(table.find(needle), std::string::npos) << needle << "\n" << table;
  EXPECT_EQ(table.find("The listed layers hold"), std::string::npos);
}

TEST(Summary, JsonHasTotalsAndOneEntryPerLayer) {
  nn::ModelSummary s = summarize_model("resnet20", {28, 28, 1});
  s.model = "resnet20";
  const nlohmann::json j = nlohmann::json::parse(nn::format_json(s));
  EXPECT_EQ(j.at("model"), "resnet20");
  EXPECT_EQ(j.at("input"), nlohmann::json({28, 28, 1}));
  EXPECT_EQ(j.at("parameters").get<int64_t>(), 269434);
  EXPECT_EQ(j.at("macs").get<int64_t>(), s.macs);
  ASSERT_EQ(j.at("layers").size(), s.layers.size());
  int64_t macs = 0;
  for (const auto& layer : j.at("layers")) macs += layer.at("macs").get<int64_t>();
  EXPECT_EQ(macs, s.macs);
  const auto& fc = j.at("layers").back();
  EXPECT_EQ(fc.at("name"), "fc");
  EXPECT_EQ(fc.at("type"), "Linear");
  EXPECT_EQ(fc.at("output_shape"), nlohmann::json({10}));
  EXPECT_EQ(fc.at("parameters").get<int64_t>(), 650);
  EXPECT_EQ(fc.at("macs").get<int64_t>(), 640);
  EXPECT_TRUE(fc.contains("description"));
}

}  // namespace
}  // namespace cnn
