// The module system without running any layer: registration and naming, traversal,
// train/eval, state_dict order and round trip, load errors, parameter counts against PyTorch.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cnn/io/safetensors.h"
#include "cnn/nn/layers.h"
#include "nn/resnet_like.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

using cnn::testing::error_of;

using nn::StateDict;
using testing::bit_identical;
using testing::randn;

// A module whose registration calls are public, to exercise them directly.
class Open : public nn::Module {
 public:
  Open() : Module("Open") {}
  using Module::register_buffer;
  using Module::register_module;
  using Module::register_parameter;
};

std::vector<std::string> names(const std::vector<nn::NamedTensor>& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) out.push_back(entry.first);
  return out;
}

// ---- registration and naming ----

TEST(Module, RegistersInOrderWithDottedNames) {
  auto root = std::make_shared<Open>();
  root->register_parameter("w", Tensor::zeros({2}));
  auto child = root->register_module("block", std::make_shared<Open>());
  root->register_buffer("count", Tensor::zeros({}, DType::i64));
  child->register_buffer("stat", Tensor::ones({3}));
  child->register_parameter("a", Tensor::zeros({1}));
  auto grandchild = child->register_module("0", std::make_shared<Open>());
  grandchild->register_parameter("weight", Tensor::zeros({4}));

  EXPECT_EQ(names(root->named_parameters()),
            (std::vector<std::string>{"w", "block.a", "block.0.weight"}));
  EXPECT_EQ(names(root->named_parameters(/*recurse=*/false)), (std::vector<std::string>{"w"}));
  EXPECT_EQ(names(root->named_buffers()), (std::vector<std::string>{"count", "block.stat"}));
  // PyTorch's state_dict order: a module's parameters, then its buffers, then each child.
  EXPECT_EQ(root->state_dict().keys(),
            (std::vector<std::string>{"w", "count", "block.a", "block.stat", "block.0.weight"}));
  EXPECT_EQ(root->children().size(), 1u);
  EXPECT_EQ(root->child("block").get(), child.get());
}

TEST(Module, ParametersAreTrainableLeavesAndBuffersAreNot) {
  auto m = std::make_shared<Open>();
  Tensor w = m->register_parameter("w", Tensor::zeros({2}));
  Tensor b = m->register_buffer("b", Tensor::zeros({2}));
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(w.is_leaf());
  EXPECT_FALSE(b.requires_grad());
  EXPECT_TRUE(m->parameters()[0].is_same(w));
}

TEST(Module, RegistrationErrorsNameTheProblem) {
  Open m;
  m.register_parameter("weight", Tensor::zeros({2}));
  EXPECT_EQ(error_of([&] { m.register_buffer("weight", Tensor::zeros({2})); }),
            "Open::register_buffer: name 'weight' is already registered in this module");
  EXPECT_EQ(error_of([&] { m.register_module("weight", std::make_shared<Open>()); }),
            "Open::register_module: name 'weight' is already registered in this module");
  EXPECT_EQ(error_of([&] { m.register_parameter("a.b", Tensor::zeros({2})); }),
            "Open::register_parameter: name 'a.b' contains '.', which separates the levels of "
            "state_dict keys");
  EXPECT_EQ(error_of([&] { m.register_parameter("", Tensor::zeros({2})); }),
            "Open::register_parameter: the name is empty");
  EXPECT_EQ(error_of([&] { m.register_parameter("i", Tensor::zeros({2}, DType::i64)); }),
            "Open::register_parameter: 'i' must be float32, got int64 of shape [2]");
  const Tensor transposed = Tensor::zeros({2, 3}).transpose(0, 1);
  EXPECT_EQ(error_of([&] { m.register_parameter("t", transposed); }),
            "Open::register_parameter: 't' must be contiguous, got shape [3, 2] with strides "
            "[1, 3]");
  Tensor leaf = Tensor::zeros({2}).requires_grad_();
  EXPECT_NE(error_of([&] { m.register_parameter("y", leaf * 2.0f); }).find("detach()"),
            std::string::npos);
  EXPECT_NE(error_of([&] { m.register_buffer("g", leaf); }).find("'g' requires grad"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { m.register_module("n", std::shared_ptr<Open>()); }),
            "Open::register_module: module 'n' is null");
  EXPECT_EQ(error_of([&] { m.child("missing"); }),
            "Open::child: no child named 'missing' (children: none)");
  EXPECT_EQ(error_of([&] { m.forward(Tensor::zeros({1})); }),
            "Open::forward: this module has no single-input forward; call its own methods");
}

TEST(Module, SharedTensorsAppearOnceInParametersButUnderEveryNameInStateDict) {
  Generator gen(1);
  auto shared = std::make_shared<nn::Linear>(3, 2, gen);
  Open m;
  m.register_module("encoder", shared);
  m.register_module("decoder", shared);
  EXPECT_EQ(names(m.named_parameters()),
            (std::vector<std::string>{"encoder.weight", "encoder.bias"}));
  EXPECT_EQ(m.parameter_count(), 8);
  EXPECT_EQ(m.state_dict().keys(), (std::vector<std::string>{"encoder.weight", "encoder.bias",
                                                             "decoder.weight", "decoder.bias"}));
}

// ---- a ResNet-18 with torchvision's names ----

// The first 40 and last 8 keys of torchvision.models.resnet18().state_dict() (torch 1.13).
const std::vector<std::string> kTorchvisionFirstKeys = {"conv1.weight",
                                                        "bn1.weight",
                                                        "bn1.bias",
                                                        "bn1.running_mean",
                                                        "bn1.running_var",
                                                        "bn1.num_batches_tracked",
                                                        "layer1.0.conv1.weight",
                                                        "layer1.0.bn1.weight",
                                                        "layer1.0.bn1.bias",
                                                        "layer1.0.bn1.running_mean",
                                                        "layer1.0.bn1.running_var",
                                                        "layer1.0.bn1.num_batches_tracked",
                                                        "layer1.0.conv2.weight",
                                                        "layer1.0.bn2.weight",
                                                        "layer1.0.bn2.bias",
                                                        "layer1.0.bn2.running_mean",
                                                        "layer1.0.bn2.running_var",
                                                        "layer1.0.bn2.num_batches_tracked",
                                                        "layer1.1.conv1.weight",
                                                        "layer1.1.bn1.weight",
                                                        "layer1.1.bn1.bias",
                                                        "layer1.1.bn1.running_mean",
                                                        "layer1.1.bn1.running_var",
                                                        "layer1.1.bn1.num_batches_tracked",
                                                        "layer1.1.conv2.weight",
                                                        "layer1.1.bn2.weight",
                                                        "layer1.1.bn2.bias",
                                                        "layer1.1.bn2.running_mean",
                                                        "layer1.1.bn2.running_var",
                                                        "layer1.1.bn2.num_batches_tracked",
                                                        "layer2.0.conv1.weight",
                                                        "layer2.0.bn1.weight",
                                                        "layer2.0.bn1.bias",
                                                        "layer2.0.bn1.running_mean",
                                                        "layer2.0.bn1.running_var",
                                                        "layer2.0.bn1.num_batches_tracked",
                                                        "layer2.0.conv2.weight",
                                                        "layer2.0.bn2.weight",
                                                        "layer2.0.bn2.bias",
                                                        "layer2.0.bn2.running_mean"};
const std::vector<std::string> kTorchvisionLastKeys = {"layer4.1.conv2.weight",
                                                       "layer4.1.bn2.weight",
                                                       "layer4.1.bn2.bias",
                                                       "layer4.1.bn2.running_mean",
                                                       "layer4.1.bn2.running_var",
                                                       "layer4.1.bn2.num_batches_tracked",
                                                       "fc.weight",
                                                       "fc.bias"};

TEST(Module, ResNet18KeysAndCountsMatchTorchvision) {
  Generator gen(7);
  testing::ResNet18Like model(64, 1000, gen);
  // sum(p.numel() for p in resnet18().parameters()), len(parameters()), len(buffers())
  EXPECT_EQ(model.parameter_count(), 11689512);
  EXPECT_EQ(model.parameters().size(), 62u);
  EXPECT_EQ(model.named_buffers().size(), 60u);

  const StateDict state = model.state_dict();
  ASSERT_EQ(state.size(), 122u);
  const auto keys = state.keys();
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + 40), kTorchvisionFirstKeys);
  EXPECT_EQ(std::vector<std::string>(keys.end() - 8, keys.end()), kTorchvisionLastKeys);
  // torchvision has (128, 64, 1, 1) OIHW and (1000, 512): ours is HWIO for convolutions.
  EXPECT_EQ(state.at("layer2.0.downsample.0.weight").shape(), (Shape{1, 1, 64, 128}));
  EXPECT_EQ(state.at("layer2.0.downsample.1.running_var").shape(), (Shape{128}));
  EXPECT_EQ(state.at("fc.weight").shape(), (Shape{1000, 512}));
  const Tensor& count = state.at("layer3.1.bn2.num_batches_tracked");
  EXPECT_EQ(count.dtype(), DType::i64);
  EXPECT_EQ(count.shape(), Shape{});
}

TEST(Module, TrainAndEvalReachEveryDescendant) {
  Generator gen(3);
  testing::ResNet18Like model(4, 10, gen);
  auto block_bn = model.layers[2]->at<testing::BasicBlock>(0)->downsample->at<nn::BatchNorm2d>(1);
  EXPECT_TRUE(model.is_training());
  EXPECT_TRUE(block_bn->is_training());
  model.eval();
  EXPECT_FALSE(model.is_training());
  EXPECT_FALSE(block_bn->is_training());
  EXPECT_FALSE(model.layers[0]->is_training());
  model.layers[1]->train();  // a subtree alone
  EXPECT_TRUE(model.layers[1]->at<testing::BasicBlock>(1)->bn2->is_training());
  EXPECT_FALSE(model.is_training());
  EXPECT_FALSE(block_bn->is_training());
}

TEST(Module, ZeroGradDropsEveryGradient) {
  Generator gen(4);
  nn::Sequential seq(std::make_shared<nn::Linear>(3, 2, gen),
                     std::make_shared<nn::Linear>(2, 1, gen));
  for (Tensor& p : seq.parameters()) p.set_grad(Tensor::ones(p.shape()));
  seq.zero_grad();
  for (const Tensor& p : seq.parameters()) EXPECT_FALSE(p.grad().defined());
}

// ---- parameter counts, from torch.nn (sum of numel over parameters()) ----

TEST(Module, ParameterCountsMatchPyTorch) {
  Generator gen(5);
  EXPECT_EQ(nn::Conv2d(3, 64, {.kernel = 3}, gen).parameter_count(), 1792);
  EXPECT_EQ(nn::Conv2d(3, 64, {.kernel = 3, .bias = false}, gen).parameter_count(), 1728);
  EXPECT_EQ(nn::Conv2d(32, 64, {.kernel = 3, .groups = 4}, gen).parameter_count(), 4672);
  EXPECT_EQ(nn::Conv2d(32, 32, {.kernel = 3, .groups = 32}, gen).parameter_count(), 320);
  EXPECT_EQ(nn::Conv2d(16, 33,
                       {.kernel = {3, 5}, .stride = 2, .padding = {4, 2}, .dilation = {3, 1}}, gen)
                .parameter_count(),
            7953);
  EXPECT_EQ(nn::Linear(512, 1000, gen).parameter_count(), 513000);
  EXPECT_EQ(nn::Linear(84, 10, {.bias = false}, gen).parameter_count(), 840);
  EXPECT_EQ(nn::BatchNorm2d(64).parameter_count(), 128);
  EXPECT_EQ(nn::BatchNorm2d(64, {.affine = false}).parameter_count(), 0);
  EXPECT_EQ(nn::MaxPool2d({.kernel = 3, .stride = 2}).parameter_count(), 0);
  EXPECT_EQ(nn::Dropout(0.5f, gen).parameter_count(), 0);
}

TEST(Module, LayerStateKeysMatchPyTorch) {
  Generator gen(6);
  using Keys = std::vector<std::string>;
  EXPECT_EQ(nn::Conv2d(3, 8, {.kernel = 3}, gen).state_dict().keys(), (Keys{"weight", "bias"}));
  EXPECT_EQ(nn::Conv2d(3, 8, {.kernel = 3, .bias = false}, gen).state_dict().keys(),
            (Keys{"weight"}));
  EXPECT_EQ(nn::BatchNorm2d(4).state_dict().keys(),
            (Keys{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}));
  EXPECT_EQ(nn::BatchNorm2d(4, {.affine = false}).state_dict().keys(),
            (Keys{"running_mean", "running_var", "num_batches_tracked"}));
  EXPECT_EQ(nn::BatchNorm2d(4, {.track_running_stats = false}).state_dict().keys(),
            (Keys{"weight", "bias"}));
  // torch.nn.Sequential(Conv2d, ReLU, Sequential(Linear)): numbering counts stateless layers.
  nn::Sequential seq(std::make_shared<nn::Conv2d>(3, 8, nn::Conv2dOptions{.kernel = 3}, gen),
                     std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(2, 3, gen)));
  EXPECT_EQ(seq.state_dict().keys(), (Keys{"0.weight", "0.bias", "2.0.weight", "2.0.bias"}));
}

// ---- state_dict and load_state_dict ----

TEST(StateDict, ValuesAliasTheModuleWithoutGrad) {
  Generator gen(8);
  nn::Linear layer(3, 2, gen);
  const StateDict state = layer.state_dict();
  const Tensor& w = state.at("weight");
  EXPECT_FALSE(w.requires_grad());
  EXPECT_EQ(w.storage().get(), layer.weight().storage().get());
}

TEST(StateDict, RoundTripThroughSafetensorsKeepsParameterIdentity) {
  Generator gen_a(11), gen_b(12);
  testing::ResNet18Like a(4, 10, gen_a), b(4, 10, gen_b);
  Tensor(a.bn1->num_batches_tracked()).data_i64()[0] = 7;
  Tensor(a.bn1->running_var()).data()[2] = 3.5f;

  const std::string path =
      (std::filesystem::temp_directory_path() / "cnn_nn_round_trip.safetensors").string();
  io::save_safetensors(path, a.state_dict());
  const auto loaded = io::load_safetensors(path);
  std::remove(path.c_str());

  const std::vector<Tensor> before = b.parameters();
  const nn::LoadResult result = b.load_state_dict(loaded);
  EXPECT_TRUE(result.missing_keys.empty());
  EXPECT_TRUE(result.unexpected_keys.empty());

  const StateDict sa = a.state_dict(), sb = b.state_dict();
  ASSERT_EQ(sa.keys(), sb.keys());
  for (const auto& [key, value] : sa) {
    if (value.dtype() == DType::i64) {
      EXPECT_EQ(value.to_vector_i64(), sb.at(key).to_vector_i64()) << key;
    } else {
      EXPECT_TRUE(bit_identical(value, sb.at(key))) << key;
    }
  }
  EXPECT_EQ(b.bn1->num_batches_tracked().to_vector_i64(), (std::vector<int64_t>{7}));
  // Same tensor objects, still trainable: an optimizer built on `before` stays valid.
  const std::vector<Tensor> after = b.parameters();
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_TRUE(before[i].is_same(after[i]));
    EXPECT_TRUE(after[i].requires_grad());
  }
}

TEST(StateDict, LoadingItsOwnStateIsANoOp) {
  Generator gen(13);
  nn::Conv2d conv(2, 3, {.kernel = 3}, gen);
  const Tensor copy = conv.weight().clone();
  conv.load_state_dict(conv.state_dict());
  EXPECT_TRUE(bit_identical(conv.weight(), copy));
}

// A two-layer model whose exact error messages are checked.
class TwoLayers : public nn::Module {
 public:
  explicit TwoLayers(Generator& gen) : Module("TwoLayers") {
    conv = register_module("conv",
                           std::make_shared<nn::Conv2d>(2, 4, nn::Conv2dOptions{.kernel = 3}, gen));
    bn = register_module("bn", std::make_shared<nn::BatchNorm2d>(4));
  }
  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn;
};

TEST(StateDict, StrictLoadListsEveryProblemAndModifiesNothing) {
  Generator gen(14);
  TwoLayers target(gen), source(gen);
  StateDict state = source.state_dict();
  state.erase("bn.running_var");
  state.insert_or_assign("fc.weight", Tensor::zeros({2, 2}));
  state.insert_or_assign("bn.bias", Tensor::zeros({5}));
  const StateDict before = target.state_dict();
  std::vector<Tensor> snapshot;
  for (const auto& entry : before) snapshot.push_back(entry.second.clone());

  EXPECT_EQ(error_of([&] { target.load_state_dict(state); }),
            "TwoLayers::load_state_dict: 3 problems, nothing was loaded:\n"
            "  missing key 'bn.running_var'\n"
            "  unexpected key 'fc.weight'\n"
            "  shape mismatch for 'bn.bias': the module has [4], the state dict has [5]");
  size_t i = 0;
  for (const auto& entry : target.state_dict()) {
    if (entry.second.dtype() == DType::f32) {
      EXPECT_TRUE(bit_identical(entry.second, snapshot[i])) << entry.first;
    }
    ++i;
  }
}

TEST(StateDict, ShapeMismatchNamesPyTorchLayoutAndDtypeMismatchIsReported) {
  Generator gen(15);
  TwoLayers target(gen);
  StateDict state = target.state_dict();
  state.insert_or_assign("conv.weight", Tensor::zeros({4, 2, 3, 3}));   // OIHW
  state.insert_or_assign("bn.num_batches_tracked", Tensor::zeros({}));  // float32, not int64
  EXPECT_EQ(error_of([&] { target.load_state_dict(state); }),
            "TwoLayers::load_state_dict: 2 problems, nothing was loaded:\n"
            "  shape mismatch for 'conv.weight': the module has [3, 3, 2, 4], the state dict has "
            "[4, 2, 3, 3] (a PyTorch OIHW convolution weight? ours is HWIO; convert it at "
            "import)\n"
            "  dtype mismatch for 'bn.num_batches_tracked' of shape []: the module has int64, the "
            "state dict has float32");
}

TEST(StateDict, NonStrictLoadReportsSkippedKeysButStillRejectsShapes) {
  Generator gen(16);
  TwoLayers target(gen);
  StateDict partial;
  partial.insert("conv.bias", Tensor::full({4}, 0.25f));
  partial.insert("head.weight", Tensor::zeros({1}));
  const nn::LoadResult result = target.load_state_dict(partial, /*strict=*/false);
  EXPECT_EQ(result.unexpected_keys, (std::vector<std::string>{"head.weight"}));
  EXPECT_EQ(result.missing_keys.size(), 6u);  // conv.weight and 5 of bn
  EXPECT_EQ(result.missing_keys.front(), "conv.weight");
  EXPECT_EQ(target.conv->bias().to_vector(), std::vector<float>(4, 0.25f));

  StateDict wrong;
  wrong.insert("conv.bias", Tensor::zeros({3}));
  const std::string message = error_of([&] { target.load_state_dict(wrong, false); });
  EXPECT_NE(message.find("shape mismatch for 'conv.bias'"), std::string::npos) << message;
  EXPECT_EQ(target.conv->bias().to_vector(), std::vector<float>(4, 0.25f));
}

TEST(StateDict, KeysAreUniqueAndLookupsNameTheKey) {
  StateDict s;
  s.insert("b", Tensor::zeros({1}));
  s.insert("a", Tensor::zeros({2}));
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"b", "a"}));  // insertion order
  EXPECT_EQ(error_of([&] { s.insert("a", Tensor::zeros({1})); }),
            "StateDict::insert: key 'a' is already present");
  EXPECT_EQ(error_of([&] { s.at("c"); }), "StateDict::at: no key 'c' among 2 entries");
  EXPECT_EQ(s.find("c"), nullptr);
  s.insert_or_assign("b", Tensor::zeros({3}));  // replaced where it stands
  s.insert_or_assign("c", Tensor::zeros({4}));  // appended
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(s.at("b").numel(), 3);
  EXPECT_TRUE(s.erase("b"));
  EXPECT_FALSE(s.erase("b"));
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(s.at("c").numel(), 4);  // lookups still find the entries that moved
  EXPECT_EQ(error_of([&] {
              StateDict({{"x", Tensor()}, {"x", Tensor()}});
            }),
            "StateDict::insert: key 'x' is already present");
}

// ---- containers and descriptions ----

TEST(Sequential, NumbersChildrenAndChecksIndexAndType) {
  Generator gen(17);
  nn::Sequential seq;
  auto conv =
      seq.push_back(std::make_shared<nn::Conv2d>(3, 8, nn::Conv2dOptions{.kernel = 1}, gen));
  seq.push_back(std::make_shared<nn::ReLU>());
  EXPECT_EQ(conv->out_channels(), 8);  // push_back returns the typed module
  EXPECT_EQ(seq.size(), 2u);
  EXPECT_EQ(seq.named_children()[1].first, "1");
  EXPECT_EQ(seq[0].get(), conv.get());
  EXPECT_EQ(error_of([&] { seq[2]; }), "Sequential: index 2 is out of range for 2 children");
  EXPECT_EQ(error_of([&] { seq.at<nn::Linear>(1); }),
            "Sequential::at: child 1 is ReLU(), not of the requested type");
  nn::Sequential from_list(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Tanh>(), std::make_shared<nn::Sigmoid>()});
  EXPECT_EQ(from_list.named_children()[1].first, "1");
}

TEST(Describe, LayerNamesAndTree) {
  Generator gen(18);
  EXPECT_EQ(nn::Conv2d(3, 64, {.kernel = 3, .stride = 1, .padding = 1}, gen).name(),
            "Conv2d(3, 64, kernel=(3, 3), stride=(1, 1), padding=1)");
  EXPECT_EQ(nn::Conv2d(16, 32,
                       {.kernel = {3, 5},
                        .stride = 2,
                        .padding = {1, 2},
                        .dilation = 2,
                        .groups = 4,
                        .bias = false},
                       gen)
                .name(),
            "Conv2d(16, 32, kernel=(3, 5), stride=(2, 2), padding=(1, 2), dilation=(2, 2), "
            "groups=4, bias=false)");
  EXPECT_EQ(nn::Conv2d(1, 1, {.kernel = 2, .padding = {0, 1, 0, 1}}, gen).name(),
            "Conv2d(1, 1, kernel=(2, 2), stride=(1, 1), padding=(top 0, bottom 1, left 0, right "
            "1))");
  EXPECT_EQ(nn::Linear(84, 10, {.bias = false}, gen).name(), "Linear(84, 10, bias=false)");
  EXPECT_EQ(nn::BatchNorm2d(64).name(), "BatchNorm2d(64, eps=1e-05, momentum=0.1)");
  EXPECT_EQ(nn::MaxPool2d({.kernel = 3, .stride = 2, .padding = 1}).name(),
            "MaxPool2d(kernel=(3, 3), stride=(2, 2), padding=1)");
  EXPECT_EQ(nn::AvgPool2d({.kernel = 2, .count_include_pad = false}).name(),
            "AvgPool2d(kernel=(2, 2), stride=(2, 2), count_include_pad=false)");
  EXPECT_EQ(nn::AdaptiveAvgPool2d(1).name(), "AdaptiveAvgPool2d(output_size=(1, 1))");
  EXPECT_EQ(nn::LocalResponseNorm().name(), "LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=1)");
  EXPECT_EQ(nn::LeakyReLU(0.2f).name(), "LeakyReLU(negative_slope=0.2)");
  EXPECT_EQ(nn::Dropout(0.5f, gen).name(), "Dropout(p=0.5)");
  EXPECT_EQ(nn::Softmax().name(), "Softmax(dim=-1)");
  EXPECT_EQ(nn::Flatten().name(), "Flatten(start_dim=1, end_dim=-1)");

  nn::Sequential seq(std::make_shared<nn::Conv2d>(3, 8, nn::Conv2dOptions{.kernel = 3}, gen),
                     std::make_shared<nn::Sequential>(std::make_shared<nn::ReLU>()));
  EXPECT_EQ(nn::describe(seq),
            "Sequential(\n"
            "  (0): Conv2d(3, 8, kernel=(3, 3), stride=(1, 1))\n"
            "  (1): Sequential(\n"
            "    (0): ReLU()\n"
            "  )\n"
            ")");
}

TEST(Layers, ConstructionRejectsBadConfigurations) {
  Generator gen(19);
  EXPECT_EQ(error_of([&] { nn::Conv2d(3, 8, {}, gen); }),
            "Conv2d: kernel must be positive, got (0, 0)");
  EXPECT_EQ(error_of([&] { nn::Conv2d(6, 8, {.kernel = 3, .groups = 4}, gen); }),
            "Conv2d: in_channels (6) and out_channels (8) must be divisible by groups (4)");
  EXPECT_EQ(error_of([&] { nn::Conv2d(3, 8, {.kernel = 3, .stride = 0}, gen); }),
            "Conv2d: stride must be positive, got (0, 0)");
  EXPECT_EQ(error_of([&] { nn::Linear(0, 8, gen); }),
            "Linear: in_features (0) and out_features (8) must be positive");
  EXPECT_EQ(error_of([&] { nn::BatchNorm2d(4, {.momentum = 1.5f}); }),
            "BatchNorm2d: momentum must lie in [0, 1], got 1.5");
  EXPECT_EQ(error_of([&] { nn::Dropout(-0.1f, gen); }), "Dropout: p must lie in [0, 1), got -0.1");
  EXPECT_EQ(error_of([&] { nn::Dropout(1.0f, gen); }), "Dropout: p must lie in [0, 1), got 1");
  EXPECT_EQ(error_of([&] { nn::MaxPool2d({.kernel = 0}); }),
            "MaxPool2d: kernel must be positive, got (0, 0)");
  const Size2 no_rows(0, 2);
  EXPECT_EQ(error_of([&] { nn::AdaptiveAvgPool2d{no_rows}; }),
            "AdaptiveAvgPool2d: output_size must be positive, got (0, 2)");
}

}  // namespace
}  // namespace cnn
