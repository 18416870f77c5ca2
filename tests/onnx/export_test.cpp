// cnn::onnx::save: zoo models exported, then (a) imported back with cnn::onnx::load, (b)
// checked by Python's onnx.checker (full check) and (c) run by ONNX Runtime (bench/ort), each
// compared with the module's own output within 1e-4 relative. Also: batch norm folding, a
// static batch, older opsets, the NHWC interface, layouts folded into a Linear, the op
// translations one by one, node names, errors, the tracer itself and `cnn export`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/io/safetensors.h"
#include "cnn/models/registry.h"
#include "cnn/nn/containers.h"
#include "cnn/nn/layers.h"
#include "cnn/onnx/export.h"
#include "cnn/onnx/onnx.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/conv.h"
#include "cnn/ops/conv_transpose.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/index.h"
#include "cnn/ops/linear.h"
#include "cnn/ops/norm.h"
#include "cnn/ops/pool.h"
#include "cnn/ops/reduce.h"
#include "cnn/ops/shape.h"
#include "cnn/ops/upsample.h"
#include "cnn/trace.h"
#include "cnn/train/checkpoint.h"
#include "cnn/train/config.h"
#include "onnx/model_file.h"
#include "support/process.h"
#include "support/tensor_testing.h"

namespace cnn::onnx {
namespace {

namespace fs = std::filesystem;
using cnn::testing::error_of;
using cnn::testing::randn;
using cnn::testing::relative_error;

constexpr double kTolerance = 1e-4;
const std::string kOrtDir = std::string(CNN_SOURCE_DIR) + "/bench/ort";

// A folder of its own under the system's temporary folder, removed at the end.
class ScratchDir {
 public:
  // In memory where there is a tmpfs: the large models' files are written, fsynced and read
  // several times.
  ScratchDir()
      : path_((fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path()) /
              ("cnn_export_" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    if (std::getenv("CNN_EXPORT_KEEP") == nullptr) fs::remove_all(path_);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

ScratchDir& scratch() {
  static ScratchDir dir;
  return dir;
}

// Runs a shell command; its exit status and its output (stdout and stderr).
std::pair<int, std::string> shell(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  std::array<char, 4096> buffer{};
  while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, output};
}

bool ort_available() {
  return fs::exists(kOrtDir + "/node_modules/onnxruntime-node");
}

Tensor to_nchw(const Tensor& t) {
  return t.dim() == 4 ? t.permute({0, 3, 1, 2}).contiguous() : t;
}
Tensor to_nhwc(const Tensor& t) {
  return t.dim() == 4 ? t.permute({0, 2, 3, 1}).contiguous() : t;
}

// Batch norm statistics and affine parameters away from their initial 0, 1 so that folding
// and the exported BatchNormalization are really tested.
void randomize_norms(nn::Module& m, uint64_t seed) {
  Generator gen(seed);
  for (auto& [name, t] : m.named_buffers()) {
    Tensor b = t;
    if (name.size() > 12 && name.compare(name.size() - 12, 12, "running_mean") == 0)
      b.data()[0] = 0,
      std::copy_n(Tensor::normal(b.shape(), 0.0f, 0.2f, gen).data(), b.numel(), b.data());
    if (name.size() > 11 && name.compare(name.size() - 11, 11, "running_var") == 0)
      std::copy_n(Tensor::uniform(b.shape(), 0.5f, 2.0f, gen).data(), b.numel(), b.data());
  }
  for (auto& [name, t] : m.named_parameters()) {
    if (t.dim() != 1) continue;
    Tensor p = t;
    const bool weight = name.size() > 6 && name.compare(name.size() - 6, 6, "weight") == 0;
    const Tensor r = weight ? Tensor::uniform(p.shape(), 0.5f, 1.5f, gen)
                            : Tensor::normal(p.shape(), 0.0f, 0.1f, gen);
    std::copy_n(r.data(), p.numel(), p.data());
  }
}

::onnx::ModelProto read(const std::string& file) {
  return read_model(file, {.check = false});
}

std::multiset<std::string> op_types(const ::onnx::ModelProto& model) {
  std::multiset<std::string> ops;
  for (const auto& n : model.graph().node()) ops.insert(n.op_type());
  return ops;
}

struct Errors {
  double reimport = -1, ort = -1;  // -1: not compared
};

enum class Checks {
  all,
  // Models of hundreds of megabytes (VGG, AlexNet): only ONNX Runtime. Python's checker is
  // the same onnx library that save() already ran (checker and strict shape inference), and
  // the importer is tested on the same ops by the smaller models.
  runtime_only,
};

// (b): Python's onnx.checker.check_model(p, full_check=True), which for a path is the checker
// and strict shape inference of the file; the inferred model goes to a scratch file.
void python_check(const std::string& file, const std::string& name) {
  const auto [code, out] = shell(
      "/usr/bin/python3 -c \"import sys, onnx.checker, onnx.shape_inference as s; "
      "onnx.checker.check_model(sys.argv[1]); "
      "s.infer_shapes_path(sys.argv[1], sys.argv[2], check_type=True, strict_mode=True)\" " +
      file + " " + file + ".inferred");
  EXPECT_EQ(code, 0) << name << ": python onnx.checker says\n" << out;
  fs::remove(file + ".inferred");
}

// Exports `m` for inputs of export_shape (NHWC) and compares the module's output on a batch
// of `batch` images (another batch size than the export's, where it is symbolic) with
// cnn::onnx::load's (a) and ONNX Runtime's (c), after Python's checker (b).
Errors check_export(nn::Module& m, const Shape& export_shape, const std::string& name,
                    const SaveOptions& options = {}, Checks checks = Checks::all,
                    int64_t batch = 3) {
  Errors errors;
  const std::string file = scratch().file(name + ".onnx");
  m.eval();
  save(m, export_shape, file, options);
  if (checks == Checks::all) python_check(file, name);

  Shape shape = export_shape;
  if (options.dynamic_batch) shape[0] = batch;
  const Tensor x = randn(shape, 7);
  Tensor expected;
  {
    NoGradGuard no_grad;
    expected = m(x);
  }
  const bool nchw = options.nchw_interface;

  // (a) cnn::onnx::load, when the importer runs every op of the file
  if (checks == Checks::all) {
    const std::vector<std::string> supported = supported_ops();
    std::string missing;
    for (const std::string& op : op_types(read(file)))
      if (std::find(supported.begin(), supported.end(), op) == supported.end() &&
          missing.find(" " + op) == std::string::npos)
        missing.append(" ").append(op);
    if (missing.empty()) {
      try {
        auto imported = load(file, {.nhwc_interface = nchw});
        imported->eval();
        NoGradGuard no_grad;
        const Tensor y = (*imported)(x);
        errors.reimport = relative_error(y, expected);
        EXPECT_LT(errors.reimport, kTolerance) << name << ": cnn::onnx::load";
      } catch (const Error& e) {
        // an attribute value the importer does not run yet (a Pad mode): skipped, not failed
        const std::string message = e.what();
        if (message.find("not supported") == std::string::npos) throw;
        std::printf("[ export ] %s: re-import skipped: %s\n", name.c_str(), message.c_str());
      }
    } else {
      std::printf("[ export ] %s: re-import skipped, the importer lacks%s\n", name.c_str(),
                  missing.c_str());
    }
  }

  // (c) ONNX Runtime
  if (ort_available()) {
    const std::string in = scratch().file(name + ".in.safetensors");
    const std::string result = scratch().file(name + ".out.safetensors");
    io::save_safetensors(in, {{options.input_name, nchw ? to_nchw(x) : x}});
    const auto [rc, text] = shell("node " + kOrtDir + "/ort_run.js run --model " + file +
                                  " --inputs " + in + " --out " + result);
    EXPECT_EQ(rc, 0) << name << ": ONNX Runtime says\n" << text;
    if (rc == 0) {
      const Tensor y = io::load_safetensors(result).at(options.output_name);
      errors.ort = relative_error(nchw ? to_nhwc(y) : y, expected);
      EXPECT_LT(errors.ort, kTolerance) << name << ": ONNX Runtime";
    }
    fs::remove(in);
    fs::remove(result);
  }
  std::printf("[ export ] %s: max relative error %.2g vs re-import, %.2g vs ONNX Runtime\n",
              name.c_str(), errors.reimport, errors.ort);
  if (!ort_available())  // marks the test skipped; the other checks above still count
    [] { GTEST_SKIP() << "onnxruntime-node is not installed (scripts/setup.sh --test)"; }();
  if (std::getenv("CNN_EXPORT_KEEP") == nullptr) fs::remove(file);  // kept for debugging
  return errors;
}

std::shared_ptr<nn::Module> zoo(const std::string& name, int64_t classes = 10,
                                int64_t in_channels = 3) {
  Generator gen(1);
  auto m = models::create(name, {.classes = classes, .in_channels = in_channels}, gen);
  randomize_norms(*m, 2);
  return m;
}

// ---- the zoo ----

TEST(OnnxExport, ResNet20) {
  auto m = zoo("resnet20", 10, 1);
  check_export(*m, {2, 28, 28, 1}, "resnet20");
}

// Pre-activation blocks end in a residual add that a batch norm follows: the importer's fused
// convolution must keep the add and leave that batch norm to the next block (a regression:
// the fused node was fused again, with the batch norm and without the add).
TEST(OnnxExport, PreActivationResNet164) {
  check_export(*zoo("resnet164"), {2, 16, 16, 3}, "resnet164");
}

TEST(OnnxExport, ResNet18) {
  check_export(*zoo("resnet18"), {2, 32, 32, 3}, "resnet18");
}
TEST(OnnxExport, MobileNetV2) {
  check_export(*zoo("mobilenet_v2"), {2, 32, 32, 3}, "mobilenet_v2");
}
TEST(OnnxExport, SqueezeNet11) {
  check_export(*zoo("squeezenet1_1"), {2, 48, 48, 3}, "squeezenet1_1");
}
TEST(OnnxExport, DenseNet121) {
  check_export(*zoo("densenet121"), {2, 32, 32, 3}, "densenet121");
}
TEST(OnnxExport, GoogLeNet) {
  check_export(*zoo("googlenet"), {2, 32, 32, 3}, "googlenet");
}
TEST(OnnxExport, ShuffleNetV2) {
  check_export(*zoo("shufflenet_v2_x1_0"), {2, 32, 32, 3}, "shufflenet_v2_x1_0");
}
TEST(OnnxExport, InceptionV3) {
  check_export(*zoo("inception_v3"), {2, 75, 75, 3}, "inception_v3");
}

// vgg11_bn and alexnet carry 0.5 GB and 0.25 GB of weights: writing, checking and loading
// them takes most of a minute here, so they run on request (CNN_TEST_LARGE_MODELS=1). Their
// particular paths (adaptive pooling to 7x7 or 6x6 from a 1x1 map, an NCHW flatten before
// the classifier) are covered by OnnxExport.Pooling and OnnxExport.NchwFlatten.
bool large_models_wanted() {
  return std::getenv("CNN_TEST_LARGE_MODELS") != nullptr;
}

TEST(OnnxExport, Vgg11BnLarge) {
  if (!large_models_wanted()) GTEST_SKIP() << "set CNN_TEST_LARGE_MODELS=1 (0.5 GB of weights)";
  check_export(*zoo("vgg11_bn"), {2, 32, 32, 3}, "vgg11_bn", {}, Checks::runtime_only);
}
TEST(OnnxExport, AlexNetLarge) {
  if (!large_models_wanted()) GTEST_SKIP() << "set CNN_TEST_LARGE_MODELS=1 (0.25 GB of weights)";
  check_export(*zoo("alexnet"), {2, 63, 63, 3}, "alexnet", {}, Checks::runtime_only);
}

// ---- the op translations, on small modules of their own ----

// A module whose forward is a function of the input and of its own parameters and children.
class Net : public nn::Module {
 public:
  using Forward = std::function<Tensor(Net&, const Tensor&)>;
  explicit Net(Forward forward) : Module("Net"), forward_(std::move(forward)) {}

  Net& param(const std::string& name, const Shape& shape, float lo = -0.5f, float hi = 0.5f) {
    Generator gen(static_cast<uint64_t>(tensors_.size()) + 11);
    tensors_[name] = register_parameter(name, Tensor::uniform(shape, lo, hi, gen));
    return *this;
  }
  Net& buffer(const std::string& name, const Tensor& value) {
    tensors_[name] = register_buffer(name, value);
    return *this;
  }
  Net& child(const std::string& name, std::shared_ptr<nn::Module> module) {
    children_[name] = register_module(name, std::move(module));
    return *this;
  }
  const Tensor& operator[](const std::string& name) const { return tensors_.at(name); }
  nn::Module& operator()(const std::string& name) const { return *children_.at(name); }
  Tensor forward(const Tensor& x) override { return forward_(*this, x); }

 private:
  Forward forward_;
  std::map<std::string, Tensor> tensors_;
  std::map<std::string, std::shared_ptr<nn::Module>> children_;
};

Tensor positive(const Tensor& t) {
  return affine(square(t), 1.0f, 1.0f);
}  // t^2 + 1

std::shared_ptr<Net> activations_net() {
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) {
    // asymmetric padding: 8x8 -> 7x9
    const Tensor h = conv2d(x, n["w"], n["b"], {.padding = {1, 0, 2, 1}});
    const Tensor mixed =
        sigmoid(h) * tanh(h) + leaky_relu(h, 0.2f) - relu(affine(h, 3.0f, 1.0f)) / positive(h);
    const Tensor y = mixed + exp(h * 0.1f) - log(positive(h)) + (-h) + relu(h);
    const Tensor lrn = local_response_norm(y, {.size = 3, .alpha = 0.1f, .beta = 0.75f, .k = 2.0f});
    return softmax(lrn, -1) + log_softmax(lrn, 1);  // over channels, over rows
  });
  net->param("w", {3, 3, 4, 6}).param("b", {6});
  return net;
}

TEST(OnnxExport, Activations) {
  check_export(*activations_net(), {2, 8, 8, 4}, "activations");
}

// ReLU6 (Clip) and sum (ReduceSum); over every dimension, keeping them or not.
std::shared_ptr<Net> clip_and_sum_net() {
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) {
    const Tensor h = relu6(conv2d(x, n["w"]) * 4.0f);
    const Tensor all = sum(h, {}, true);  // [1, 1, 1, 1]
    return concat({sum(h, {1, 2}), sum(h, {-1}, true).flatten(1)}, 1) + all.reshape({1, 1});
  });
  net->param("w", {3, 3, 3, 5});
  return net;
}

TEST(OnnxExport, ClipAndSum) {
  check_export(*clip_and_sum_net(), {2, 6, 6, 3}, "clip_and_sum");
}

std::shared_ptr<Net> pooling_net() {
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) {
    Tensor h = relu(conv2d(x, n["w"], n["b"]));                                      // 12x12
    h = max_pool2d(h, {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true});  // 7x7
    h = avg_pool2d(h, {.kernel = 3, .stride = 1, .padding = 1, .count_include_pad = false});
    const Tensor c = avg_pool2d(h, {.kernel = 2, .stride = 2, .ceil_mode = true});  // 4x4
    const Tensor d = max_pool2d(h, {.kernel = 2, .dilation = 2});                   // 5x5
    const Tensor overlapping = adaptive_avg_pool2d(d, {3, 3});  // 5 -> 3: MatMul
    const Tensor even = adaptive_avg_pool2d(c, {2, 2});         // 4 -> 2: AveragePool
    const Tensor repeated = adaptive_avg_pool2d(global_avg_pool2d(c), {3, 2});  // 1 -> 3x2
    const Tensor pooled =
        global_avg_pool2d(overlapping) + mean(even, {1, 2}, true) + mean(repeated, {1, 2}, true);
    return linear(pooled.flatten(1), n["fc"]);
  });
  net->param("w", {3, 3, 3, 8}).param("b", {8}).param("fc", {5, 8});
  return net;
}

TEST(OnnxExport, Pooling) {
  check_export(*pooling_net(), {2, 14, 14, 3}, "pooling");
  // PyTorch's ceil mode drops a last window that would start in the padding (5 -> 3, where
  // ONNX's ceil_mode gives 4): written with ceil_mode 0, which gives 3
  auto dropped = std::make_shared<Net>([](Net&, const Tensor& x) {
    return max_pool2d(x, {.kernel = 2, .stride = 2, .padding = 1, .ceil_mode = true});
  });
  check_export(*dropped, {2, 5, 5, 2}, "ceil_mode_dropped");
}

// clamp, prelu, hardsigmoid, hardswish, amax, global_max_pool2d, max_pool2d_with_indices.
std::shared_ptr<Net> more_ops_net(bool indices) {
  auto net = std::make_shared<Net>([indices](Net& n, const Tensor& x) {
    const Tensor h = conv2d(x, n["w"], Tensor(), {.padding = 1});  // [N, 6, 6, 4]
    if (indices)  // ONNX's Indices count over the whole NCHW tensor, cnn's within a plane
      return max_pool2d_with_indices(h, {.kernel = 3, .stride = 2, .padding = 1}).indices;
    const Tensor a = prelu(h, n["slope"]) + prelu(h, n["one"]) + hardswish(h) + hardsigmoid(h) +
                     hardsigmoid(h, 0.2f, 0.4f) + clamp(h, -0.5f, INFINITY) +
                     clamp(h, -INFINITY, 0.25f) + clamp(h, 0.0f, 1.0f);
    const Tensor pooled = max_pool2d_with_indices(a, {.kernel = 2}).y;
    return concat({amax(pooled, {1, 2}), global_max_pool2d(a).flatten(1),
                   amax(a, {1, 2, 3}, true).flatten(1)},
                  1);
  });
  net->param("w", {3, 3, 3, 4}).param("slope", {4}).param("one", {1});
  return net;
}

TEST(OnnxExport, ClampPReluHardSwishAmaxGlobalMaxPool) {
  for (const int64_t opset : {17, 13})  // HardSwish from opset 14
    check_export(*more_ops_net(false), {2, 6, 6, 3}, "more_ops_opset" + std::to_string(opset),
                 {.opset = opset});
  check_export(*more_ops_net(true), {2, 6, 6, 3}, "max_pool_indices");
}

std::shared_ptr<Net> shapes_net() {
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) {
    Tensor h = conv2d(x.permute({0, 2, 1, 3}), n["w"]);    // rows and columns swapped first
    h = h + Tensor::full({8}, 0.5f) - mean(h, {0, 1, 2});  // a constant, a traced [C]
    const std::vector<Tensor> parts = split(concat({h, relu(h)}), {4, 12});
    const Tensor s = channel_shuffle(concat({parts[1], parts[0]}), 4);            // [N, 6, 6, 16]
    const Tensor padded = pad2d(s, {1, 0, 2, 1}, 0.5f);                           // 7x9
    const Tensor mirrored = pad2d(s, {1, 1, 2, 0}, {.mode = PadMode::reflect});   // 8x8
    const Tensor edged = pad2d(s, {0, 2, 1, 1}, {.mode = PadMode::edge});         // 8x8
    const Tensor cropped = pad2d(s, {-1, 1, 0, -2});                              // 6x4
    const Tensor widened = shortcut_identity(mirrored + edged, 2, 24);            // 4x4x24
    const Tensor rows = index_select(padded.slice(1, 1, 7, 2), 3, {0, 5, 5, 2});  // 3x9x4
    const Tensor features =
        concat({mean(rows, {1, 2}), mean(cropped, {1, 2}), mean(widened, {1, 2}),
                mean(widened, {1, 2, 3}, true).reshape({-1, 1})},
               1);
    return features.transpose(0, 1).contiguous().transpose(0, 1);
  });
  net->param("w", {1, 1, 4, 8});
  return net;
}

TEST(OnnxExport, Shapes) {
  check_export(*shapes_net(), {2, 6, 6, 4}, "shapes");
}

std::shared_ptr<Net> resize_net() {
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) {
    // 5x7 -> 10x14
    const Tensor up =
        conv_transpose2d(x, n["wt"], n["bt"], {.stride = 2, .padding = 1, .output_padding = 1});
    const Tensor grouped = conv_transpose2d(
        x, n["wg"], Tensor(),
        {.stride = 2, .padding = {1, 0}, .output_padding = {1, 0}, .groups = 3});  // 10x15
    const Tensor all =
        concat({up, upsample_nearest2d(x, {10, 14}), upsample_bilinear2d(x, {10, 14}, false),
                upsample_bilinear2d(x, {10, 14}, true)});
    return concat({global_avg_pool2d(all), global_avg_pool2d(grouped),
                   global_avg_pool2d(upsample_nearest2d(x, {8, 9})),
                   global_avg_pool2d(upsample_bilinear2d(x, {8, 9}, false))});
  });
  net->param("wt", {3, 3, 6, 3}).param("bt", {6}).param("wg", {3, 3, 2, 3});
  return net;
}

TEST(OnnxExport, ResizeAndTransposedConvolution) {
  check_export(*resize_net(), {2, 5, 7, 3}, "resize");
}

// A Linear on [N, T, F] (reshapes around a Gemm) and a batch norm of [N, C] features.
std::shared_ptr<Net> sequence_net() {
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) {
    const Tensor seq = x.reshape({x.size(0), x.size(1) * x.size(2), x.size(3)});  // [N, 16, 3]
    const Tensor h = relu(linear(seq, n["w1"], n["b1"]));                         // [N, 16, 8]
    const Tensor f = mean(h, {1});                                                // [N, 8]
    return batch_norm(f, n["mean"], n["var"], n["gamma"], n["beta"], {.training = false});
  });
  Generator gen(3);
  net->param("w1", {8, 3}).param("b1", {8}).param("gamma", {8}, 0.5f, 1.5f).param("beta", {8});
  net->buffer("mean", Tensor::normal({8}, 0.0f, 0.3f, gen))
      .buffer("var", Tensor::uniform({8}, 0.5f, 2.0f, gen));
  return net;
}

TEST(OnnxExport, LinearOnSequencesAndBatchNormOfFeatures) {
  check_export(*sequence_net(), {2, 4, 4, 3}, "sequence");
}

// VGG and AlexNet permute to NCHW before flattening: in ONNX that is no node at all.
TEST(OnnxExport, NchwFlatten) {
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) {
    const Tensor h = relu(conv2d(x, n["w"], Tensor(), {.stride = 2}));  // [N, 3, 3, 6]
    return linear(h.permute({0, 3, 1, 2}).flatten(1), n["fc"], n["fb"]);
  });
  net->param("w", {3, 3, 2, 6}).param("fc", {4, 54}).param("fb", {4});
  check_export(*net, {2, 7, 7, 2}, "nchw_flatten", {.opset = 17}, Checks::all);
  const std::string file = scratch().file("nchw_flatten_graph.onnx");
  save(*net, {1, 7, 7, 2}, file);
  const auto ops = op_types(read(file));
  EXPECT_EQ(ops.count("Transpose"), 0u);
  EXPECT_EQ(ops.count("Flatten"), 1u);
}

// Flattening an NHWC map orders the features (row, col, channel); ONNX's NCHW map flattens
// as (channel, row, col). With a Linear after it the order moves into the weight's columns.
TEST(OnnxExport, NhwcFlattenFoldsIntoTheLinearWeight) {
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) {
    const Tensor h = relu(conv2d(x, n["w"], n["b"], {.padding = 1}));  // [N, 5, 4, 6]
    return linear(h.flatten(1), n["fc"], n["fb"]);
  });
  net->param("w", {3, 3, 2, 6}).param("b", {6}).param("fc", {3, 120}).param("fb", {3});
  check_export(*net, {2, 5, 4, 2}, "nhwc_flatten");
  const std::string file = scratch().file("nhwc_flatten_graph.onnx");
  save(*net, {1, 5, 4, 2}, file);
  const ::onnx::ModelProto model = read(file);
  const auto ops = op_types(model);
  EXPECT_EQ(ops.count("Transpose"), 0u) << "the layout should be folded into fc";
  EXPECT_EQ(ops.count("Flatten"), 1u);
  // still named after the parameter, with its columns permuted
  bool found = false;
  for (const auto& t : model.graph().initializer()) found = found || t.name() == "fc";
  EXPECT_TRUE(found);
}

// ---- options ----

TEST(OnnxExport, FoldBatchNorm) {
  auto m = zoo("resnet20", 10, 1);
  check_export(*m, {2, 28, 28, 1}, "resnet20_folded", {.fold_batch_norm = true});
  const std::string file = scratch().file("resnet20_folded_graph.onnx");
  save(*m, {1, 28, 28, 1}, file, {.fold_batch_norm = true});
  const ::onnx::ModelProto model = read(file);
  EXPECT_EQ(op_types(model).count("BatchNormalization"), 0u);
  EXPECT_EQ(op_types(model).count("Conv"), 19u);
  // the folded bias of a conv without one is named after its weight
  bool bias = false;
  for (const auto& t : model.graph().initializer())
    bias = bias || t.name() == "layer1.0.conv1.bias";
  EXPECT_TRUE(bias);

  // a batch norm after a ReLU, or after a convolution something else also reads, stays
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) {
    const Tensor c = conv2d(x, n["w"]);
    const Tensor bn = batch_norm(relu(c), n["m"], n["v"], n["g"], n["b"], {.training = false});
    const Tensor bn2 = batch_norm(c, n["m"], n["v"], n["g"], n["b"], {.training = false});
    return bn + bn2 + c;
  });
  Generator gen(5);
  net->param("w", {3, 3, 2, 4}).param("g", {4}, 0.5f, 1.5f).param("b", {4});
  net->buffer("m", Tensor::normal({4}, 0.0f, 0.3f, gen))
      .buffer("v", Tensor::uniform({4}, 0.5f, 2.0f, gen));
  check_export(*net, {2, 6, 6, 2}, "partly_folded", {.fold_batch_norm = true});
  save(*net, {1, 6, 6, 2}, file, {.fold_batch_norm = true});
  EXPECT_EQ(op_types(read(file)).count("BatchNormalization"), 2u);
}

TEST(OnnxExport, StaticBatch) {
  auto m = zoo("resnet20", 10, 1);
  check_export(*m, {2, 28, 28, 1}, "resnet20_static", {.dynamic_batch = false});
  const std::string file = scratch().file("resnet20_static_graph.onnx");
  save(*m, {2, 28, 28, 1}, file, {.dynamic_batch = false});
  const ::onnx::ModelProto model = read(file);
  const auto& in = model.graph().input(0).type().tensor_type().shape();
  ASSERT_EQ(in.dim_size(), 4);
  EXPECT_EQ(in.dim(0).dim_value(), 2);
  EXPECT_EQ(in.dim(1).dim_value(), 1);
  EXPECT_EQ(model.graph().output(0).type().tensor_type().shape().dim(0).dim_value(), 2);
}

TEST(OnnxExport, NhwcInterface) {
  auto m = zoo("resnet20", 10, 1);
  check_export(*m, {2, 28, 28, 1}, "resnet20_nhwc", {.nchw_interface = false});
  // a rank-4 output stays NHWC too
  auto net = std::make_shared<Net>([](Net& n, const Tensor& x) { return relu(conv2d(x, n["w"])); });
  net->param("w", {3, 3, 2, 5});
  check_export(*net, {2, 6, 7, 2}, "conv_nhwc", {.nchw_interface = false});
  check_export(*net, {2, 6, 7, 2}, "conv_nchw");
  const std::string file = scratch().file("conv_nhwc_graph.onnx");
  save(*net, {1, 6, 7, 2}, file, {.nchw_interface = false});
  const ::onnx::ModelProto model = read(file);
  const auto& out = model.graph().output(0).type().tensor_type().shape();
  ASSERT_EQ(out.dim_size(), 4);
  EXPECT_EQ(out.dim(0).dim_param(), "batch");
  EXPECT_EQ(out.dim(3).dim_value(), 5);
  EXPECT_EQ(op_types(model).count("Transpose"), 2u);  // after the input, before the output
}

// Opsets 11 and 13 write Split, ReduceSum, Unsqueeze, Clip and Resize in their older forms.
TEST(OnnxExport, OlderOpsets) {
  for (const int64_t opset : {11, 13}) {
    const std::string suffix = "_opset" + std::to_string(opset);
    check_export(*shapes_net(), {2, 6, 6, 4}, "shapes" + suffix, {.opset = opset});
    check_export(*resize_net(), {2, 5, 7, 3}, "resize" + suffix, {.opset = opset});
    check_export(*pooling_net(), {2, 14, 14, 3}, "pooling" + suffix, {.opset = opset});
    check_export(*clip_and_sum_net(), {2, 6, 6, 3}, "clip_and_sum" + suffix, {.opset = opset});
  }
}

// ---- the file ----

TEST(OnnxExport, NamesFollowTheModules) {
  auto m = zoo("resnet20", 10, 1);
  const std::string file = scratch().file("names.onnx");
  save(*m, {1, 28, 28, 1}, file, {.metadata = {{"classes", "[\"a\"]"}}});
  const ::onnx::ModelProto model = read(file);
  EXPECT_EQ(model.ir_version(), 8);
  EXPECT_EQ(model.producer_name(), "cnn");
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).version(), 17);
  ASSERT_EQ(model.metadata_props_size(), 1);
  EXPECT_EQ(model.metadata_props(0).key(), "classes");
  const auto& g = model.graph();
  ASSERT_EQ(g.input_size(), 1);  // initializers are not inputs
  EXPECT_EQ(g.input(0).name(), "input");
  const auto& in = g.input(0).type().tensor_type().shape();
  EXPECT_EQ(in.dim(0).dim_param(), "batch");
  EXPECT_EQ(in.dim(1).dim_value(), 1);
  EXPECT_EQ(in.dim(2).dim_value(), 28);
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0).name(), "output");
  std::map<std::string, std::string> nodes;
  for (const auto& n : g.node()) nodes[n.name()] = n.op_type();
  EXPECT_EQ(nodes["layer1.0.conv1"], "Conv");
  EXPECT_EQ(nodes["layer1.0.bn1"], "BatchNormalization");
  EXPECT_EQ(nodes["fc"], "Gemm");
  EXPECT_EQ(nodes["layer2.0/Slice"], "Slice");  // the option-A shortcut
  EXPECT_EQ(nodes["layer2.0/Pad"], "Pad");
  std::map<std::string, std::vector<int64_t>> inits;
  for (const auto& t : g.initializer()) inits[t.name()] = {t.dims().begin(), t.dims().end()};
  EXPECT_EQ(inits["layer1.0.conv1.weight"], (std::vector<int64_t>{16, 16, 3, 3}));  // OIHW
  EXPECT_EQ(inits["fc.weight"], (std::vector<int64_t>{10, 64}));
  EXPECT_EQ(inits.count("layer1.0.bn1.num_batches_tracked"), 0u);  // unused buffers stay out
}

TEST(OnnxExport, RestoresTrainingAndGradModes) {
  auto m = zoo("resnet20", 10, 1);
  m->train();
  save(*m, {1, 28, 28, 1}, scratch().file("modes.onnx"));
  EXPECT_TRUE(m->is_training());
  EXPECT_TRUE(m->child("layer1")->is_training());
  m->eval();
  m->child("layer2")->train();
  {
    NoGradGuard no_grad;
    save(*m, {1, 28, 28, 1}, scratch().file("modes.onnx"));
    EXPECT_FALSE(autograd::grad_enabled());
  }
  EXPECT_FALSE(m->is_training());
  EXPECT_TRUE(m->child("layer2")->is_training());
  EXPECT_FALSE(m->child("layer1")->is_training());
}

// ---- errors ----

TEST(OnnxExport, ErrorsNameTheOpAndTheModule) {
  const std::string file = scratch().file("error.onnx");
  // an op that does not report itself to the tracer
  auto hidden = std::make_shared<Net>([](Net&, const Tensor& x) {
    Tensor y = Tensor::empty(x.shape());
    std::copy_n(x.contiguous().data(), x.numel(), y.data());
    autograd::record("my_double", {x}, {y},
                     [](const autograd::TensorList& g) { return autograd::TensorList{g[0]}; });
    return relu(y);
  });
  std::string e = error_of([&] { save(*hidden, {1, 4, 4, 2}, file); });
  EXPECT_NE(e.find("'my_double'"), std::string::npos) << e;
  EXPECT_NE(e.find("op 'relu'"), std::string::npos) << e;

  // an output the input does not reach
  auto constant = std::make_shared<Net>([](Net& n, const Tensor&) { return relu(n["w"]); });
  constant->param("w", {2, 3});
  e = error_of([&] { save(*constant, {1, 4, 4, 2}, file); });
  EXPECT_NE(e.find("does not depend on its input"), std::string::npos) << e;

  // local response norm of an even size
  auto lrn = std::make_shared<Net>([](Net& n, const Tensor& x) { return n("norm")(x); });
  lrn->child("norm", std::make_shared<nn::LocalResponseNorm>(LocalResponseNormOptions{.size = 4}));
  e = error_of([&] { save(*lrn, {1, 4, 4, 8}, file); });
  EXPECT_NE(e.find("op 'local_response_norm' in module 'norm'"), std::string::npos) << e;
  EXPECT_NE(e.find("even size 4"), std::string::npos) << e;

  // batch statistics
  auto train_bn = std::make_shared<Net>([](Net& n, const Tensor& x) {
    return batch_norm(x, Tensor(), Tensor(), n["g"], Tensor(), {.training = true});
  });
  train_bn->param("g", {2});
  e = error_of([&] { save(*train_bn, {2, 4, 4, 2}, file); });
  EXPECT_NE(e.find("op 'batch_norm'"), std::string::npos) << e;
  EXPECT_NE(e.find("training mode"), std::string::npos) << e;

  // softmax over a dimension other than the last before opset 13
  auto soft = std::make_shared<Net>([](Net&, const Tensor& x) { return softmax(x, 2); });
  e = error_of([&] { save(*soft, {1, 4, 4, 2}, file, {.opset = 11}); });
  EXPECT_NE(e.find("needs opset 13"), std::string::npos) << e;

  e = error_of([&] { save(*soft, {1, 4, 4, 2}, file, {.opset = 10}); });
  EXPECT_NE(e.find("opset 10 is not supported"), std::string::npos) << e;
  e = error_of([&] { save(*soft, {1, 0, 4, 2}, file); });
  EXPECT_NE(e.find("extent below 1"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(file));
}

// ---- the command line ----

TEST(OnnxExportCli, ZooModelsAndOptions) {
  const std::string file = scratch().file("cli.onnx");
  auto r = cnn::testing::run_cnn("export resnet20 " + file + " --input 28x28x1 --classes 7");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("[batch, 1, 28, 28]"), std::string::npos) << r.output;
  python_check(file, "cli");
  ::onnx::ModelProto model = read(file);
  EXPECT_EQ(model.graph().output(0).type().tensor_type().shape().dim(1).dim_value(), 7);

  r = cnn::testing::run_cnn(
      "export resnet20 " + file +
      " --input 28x28x1 --batch 3 --static-batch --fold-bn --opset 13 --nhwc");
  ASSERT_EQ(r.code, 0) << r.output;
  model = read(file);
  EXPECT_EQ(model.opset_import(0).version(), 13);
  const auto& in = model.graph().input(0).type().tensor_type().shape();
  EXPECT_EQ(in.dim(0).dim_value(), 3);
  EXPECT_EQ(in.dim(3).dim_value(), 1);  // NHWC
  EXPECT_EQ(op_types(model).count("BatchNormalization"), 0u);
}

TEST(OnnxExportCli, TrainedModelsCarryTheirClassesAndNormalization) {
  Generator gen(4);
  auto m = models::create("resnet20", {.classes = 3, .in_channels = 1}, gen);
  nn::StateDict tensors;
  for (const auto& [key, t] : m->state_dict()) tensors.insert_or_assign("model." + key, t);
  nlohmann::json state = {{"config", nlohmann::json::parse(train::TrainConfig{}.to_json())},
                          {"classes", {"cat", "dog", "emu"}},
                          {"input_shape", {16, 16, 1}},
                          {"normalization", {{"mean", {0.5}}, {"std", {0.25}}}}};
  const std::string ckpt = scratch().file("run.ckpt");
  train::save_checkpoint(ckpt, {tensors, state.dump()});
  const std::string file = scratch().file("trained.onnx");
  const auto r = cnn::testing::run_cnn("export " + ckpt + " " + file);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("[batch, 1, 16, 16]"), std::string::npos) << r.output;
  const ::onnx::ModelProto model = read(file);
  std::map<std::string, std::string> meta;
  for (const auto& p : model.metadata_props()) meta[p.key()] = p.value();
  EXPECT_EQ(meta["cnn.classes"], R"(["cat","dog","emu"])");
  EXPECT_EQ(meta["cnn.normalization"], R"({"mean":[0.5],"std":[0.25]})");
  EXPECT_EQ(meta["cnn.input_shape"], "[16,16,1]");
  EXPECT_EQ(model.graph().output(0).type().tensor_type().shape().dim(1).dim_value(), 3);
}

TEST(OnnxExportCli, UsageErrorsExitTwoOthersOne) {
  const std::string file = scratch().file("cli_error.onnx");
  for (const std::string& args : std::vector<std::string>{
           "export resnet21 " + file, "export resnet20 " + file + " --opset 10",
           "export resnet20 out.pb", "export resnet20 " + file + " --input 28x28",
           "export resnet20 " + file + " --batch 0", "export resnet20"}) {
    const auto r = cnn::testing::run_cnn(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("--help"), std::string::npos) << args << "\n" << r.output;
  }
  const std::string bad = scratch().file("bad.ckpt");
  { std::ofstream(bad) << "not a checkpoint"; }
  auto r = cnn::testing::run_cnn("export " + bad + " " + file);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("bad.ckpt"), std::string::npos) << r.output;
  // inception_v3 needs 75x75 at least: the model's own error, exit 1
  r = cnn::testing::run_cnn("export inception_v3 " + file + " --input 32x32x3");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("75"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(file));
}

}  // namespace
}  // namespace cnn::onnx
