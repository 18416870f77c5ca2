// Hostile ONNX files: each gives a cnn::Error naming the file, node or tensor and the problem,
// never a crash, a hang, another exception type or an allocation out of proportion to the
// file. The models are built here with ONNX's protobuf classes, starting from a small valid
// one (x [N, 3, 8, 8] -> Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> y [N, 2]),
// and written into a temporary folder.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/onnx/onnx.h"
#include "onnx/onnx_pb.h"

namespace cnn::onnx {
namespace {

namespace fs = std::filesystem;
using ::onnx::GraphProto;
using ::onnx::ModelProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;

// ---- building models ----

TensorProto float_tensor(const std::string& name, const std::vector<int64_t>& dims, bool raw) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t.add_dims(d);
    n *= d;
  }
  std::vector<float> values(static_cast<size_t>(n));
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.01f * static_cast<float>(i % 17) - 0.05f;
  if (raw) {
    t.set_raw_data(values.data(), values.size() * sizeof(float));
  } else {
    for (float v : values) t.add_float_data(v);
  }
  return t;
}

TensorProto int_tensor(const std::string& name, const std::vector<int64_t>& dims,
                       const std::vector<int64_t>& values) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(TensorProto::INT64);
  for (int64_t d : dims) t.add_dims(d);
  for (int64_t v : values) t.add_int64_data(v);
  return t;
}

// dims: a number, or -1 for the symbolic "N"
void declare(::onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims,
             int32_t type = TensorProto::FLOAT) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  auto* shape = t->mutable_shape();
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

NodeProto* add_node(GraphProto* g, const std::string& op, const std::string& name,
                    const std::vector<std::string>& inputs,
                    const std::vector<std::string>& outputs) {
  NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

// A node at position `index` of the graph's node list.
NodeProto* insert_node(GraphProto* g, int index, const std::string& op, const std::string& name,
                       const std::vector<std::string>& inputs,
                       const std::vector<std::string>& outputs) {
  add_node(g, op, name, inputs, outputs);
  for (int i = g->node_size() - 1; i > index; --i) g->mutable_node()->SwapElements(i, i - 1);
  return g->mutable_node(index);
}

void set_ints(NodeProto* n, const std::string& name, const std::vector<int64_t>& values) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void set_int(NodeProto* n, const std::string& name, int64_t value) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INT);
  a->set_i(value);
}

// x [N, 3, 8, 8] -> Conv (weight [4, 3, 3, 3] as raw data, bias as float_data) -> Relu ->
// GlobalAveragePool -> Flatten -> Gemm (transB) -> y [N, 2]
ModelProto small_model(int64_t opset = 13) {
  ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("hostile_files_test");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  GraphProto* g = m.mutable_graph();
  g->set_name("small");
  declare(g->add_input(), "x", {-1, 3, 8, 8});
  *g->add_initializer() = float_tensor("conv.weight", {4, 3, 3, 3}, true);
  *g->add_initializer() = float_tensor("conv.bias", {4}, false);
  *g->add_initializer() = float_tensor("fc.weight", {2, 4}, true);
  *g->add_initializer() = float_tensor("fc.bias", {2}, true);
  NodeProto* conv = add_node(g, "Conv", "conv", {"x", "conv.weight", "conv.bias"}, {"c"});
  set_ints(conv, "pads", {1, 1, 1, 1});
  set_ints(conv, "kernel_shape", {3, 3});
  add_node(g, "Relu", "relu", {"c"}, {"r"});
  add_node(g, "GlobalAveragePool", "pool", {"r"}, {"p"});
  add_node(g, "Flatten", "flatten", {"p"}, {"f"});
  set_int(add_node(g, "Gemm", "fc", {"f", "fc.weight", "fc.bias"}, {"y"}), "transB", 1);
  declare(g->add_output(), "y", {-1, 2});
  return m;
}

TensorProto* initializer(ModelProto& m, const std::string& name) {
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == name) return &t;
  ADD_FAILURE() << "no initializer " << name;
  return nullptr;
}

NodeProto* node(ModelProto& m, const std::string& name) {
  for (auto& n : *m.mutable_graph()->mutable_node())
    if (n.name() == name) return &n;
  ADD_FAILURE() << "no node " << name;
  return nullptr;
}

// ---- running and expectations ----

// x of [1, 3, 8, 8], as the model takes it: NHWC
Tensor sample_input() {
  return Tensor::ones({1, 8, 8, 3});
}

// Runs the model through the fused inference plan and the training plan.
void run_both_plans(Model& model) {
  model.eval();
  {
    NoGradGuard no_grad;
    (void)model(sample_input());
  }
  model.train();
  (void)model(sample_input());
}

class OnnxHostile : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("cnn_onnx_hostile_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string write_bytes(const std::string& bytes, const std::string& name = "model.onnx") {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  std::string write(const ModelProto& m, const std::string& name = "model.onnx") {
    std::string bytes;
    EXPECT_TRUE(m.SerializeToString(&bytes));
    return write_bytes(bytes, name);
  }

  fs::path dir_;
};

// What loading (and, when `run`, running) the file raised: "" when it succeeded. Anything but
// a cnn::Error fails the test. A load that takes longer than 10 s fails it as a hang; `unblock`
// then runs to release it (a FIFO's reader waits for a writer).
std::string outcome(const std::string& path, bool check, bool run = false,
                    const std::function<void()>& unblock = {}) {
  auto attempt = std::async(std::launch::async, [=]() -> std::string {
    try {
      auto model = load(path, {.check = check});
      if (run) run_both_plans(*model);
      return "";
    } catch (const Error& e) {
      const std::string what = e.what();
      return what.empty() ? "(empty cnn::Error)" : what;
    } catch (const std::exception& e) {
      ADD_FAILURE() << path << " (check " << check << "): " << typeid(e).name()
                    << " instead of cnn::Error: " << e.what();
    } catch (...) {
      ADD_FAILURE() << path << " (check " << check << "): an exception that is not a cnn::Error";
    }
    return "(other exception)";
  });
  if (attempt.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << path << " (check " << check << "): load blocked for 10 s";
    if (unblock) unblock();
  }
  return attempt.get();
}

// Loading with and without ONNX's checker must both fail, with messages that hold every key
// of `ours` (without the checker: this importer's own checks) and of `both` (either way).
void expect_refused(const std::string& path, const std::vector<std::string>& ours,
                    const std::vector<std::string>& both = {}) {
  for (bool check : {false, true}) {
    SCOPED_TRACE(check ? "with the checker" : "without the checker");
    const std::string e = outcome(path, check);
    ASSERT_FALSE(e.empty()) << path << " loaded";
    std::vector<std::string> keys = both;
    if (!check) keys.insert(keys.end(), ours.begin(), ours.end());
    for (const auto& k : keys)
      EXPECT_NE(e.find(k), std::string::npos) << "'" << k << "' not in: " << e;
  }
}

// The model loads (with the checker or without) and running it raises an error that holds
// every key.
void expect_run_error(const std::string& path, bool check, const std::vector<std::string>& keys) {
  SCOPED_TRACE(check ? "with the checker" : "without the checker");
  std::shared_ptr<Model> model;
  try {
    model = load(path, {.check = check});
  } catch (const Error& e) {
    FAIL() << "load failed: " << e.what();
  }
  const std::string e = [&]() -> std::string {
    try {
      run_both_plans(*model);
    } catch (const Error& err) {
      return err.what();
    }
    return "";
  }();
  ASSERT_FALSE(e.empty()) << path << " ran";
  for (const auto& k : keys)
    EXPECT_NE(e.find(k), std::string::npos) << "'" << k << "' not in: " << e;
}

// ---- the valid model ----

TEST_F(OnnxHostile, TheSmallModelLoadsAndRuns) {
  const std::string path = write(small_model());
  for (bool check : {false, true}) EXPECT_EQ(outcome(path, check, true), "");
}

// ---- damaged bytes ----

// Every prefix of a valid file is refused (or, where it ends at a message boundary and still
// makes a model, loads and runs); nothing crashes.
TEST_F(OnnxHostile, TruncatedFiles) {
  std::string bytes;
  ASSERT_TRUE(small_model().SerializeToString(&bytes));
  int refused = 0;
  for (size_t len = 0; len < bytes.size(); ++len) {
    SCOPED_TRACE("prefix of " + std::to_string(len) + " bytes");
    const std::string path = write_bytes(bytes.substr(0, len));
    for (bool check : {false, true}) {
      const std::string e = outcome(path, check, true);
      if (e.empty()) continue;
      ++refused;
      EXPECT_NE(e.find(path), std::string::npos) << e;
    }
  }
  EXPECT_GT(refused, static_cast<int>(bytes.size()));
  const std::string empty = write_bytes("");
  expect_refused(empty, {}, {empty, "is empty"});
  const std::string cut = write_bytes(bytes.substr(0, bytes.size() / 2));
  expect_refused(cut, {"not a valid ONNX model", "truncated or corrupt"}, {cut});
}

// 500 seeded single-byte mutations: each file loads and runs, or raises cnn::Error.
TEST_F(OnnxHostile, BitFlippedFiles) {
  std::string bytes;
  ASSERT_TRUE(small_model().SerializeToString(&bytes));
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<size_t> position(0, bytes.size() - 1);
  std::uniform_int_distribution<int> bit(0, 7), byte(0, 255), kind(0, 2);
  int loaded = 0, refused = 0;
  for (int i = 0; i < 500; ++i) {
    std::string mutated = bytes;
    const size_t at = position(rng);
    const int how = kind(rng);
    if (how == 0)
      mutated[at] = static_cast<char>(mutated[at] ^ (1 << bit(rng)));
    else if (how == 1)
      mutated[at] = static_cast<char>(byte(rng));
    else
      mutated[at] = static_cast<char>(0xff);
    SCOPED_TRACE("mutation " + std::to_string(i) + ": byte " + std::to_string(at));
    const std::string path = write_bytes(mutated);
    for (bool check : {false, true}) {
      const std::string e = outcome(path, check, true);
      if (e.empty())
        ++loaded;
      else
        ++refused;
      if (::testing::Test::HasFailure()) return;  // one report is enough
    }
  }
  EXPECT_GT(refused, 100);
  EXPECT_GT(loaded, 0);
}

// ---- graph structure ----

// x -> Conv -> Relu -> Shape -> Gather -> Concat with [-1] -> Reshape of the Relu's output ->
// Gemm: the flatten of a typical PyTorch export, with integer shape arithmetic.
ModelProto shape_model() {
  ModelProto m = small_model();
  GraphProto* g = m.mutable_graph();
  g->mutable_node()->DeleteSubrange(2, 3);  // pool, flatten, fc
  node(m, "conv")->set_input(0, "x");
  *g->add_initializer() = int_tensor("zero", {1}, {0});
  *g->add_initializer() = int_tensor("minus_one", {1}, {-1});
  *g->add_initializer() = float_tensor("fc2.weight", {2, 256}, true);
  add_node(g, "Shape", "shape", {"r"}, {"s"});
  set_int(add_node(g, "Gather", "batch", {"s", "zero"}, {"n"}), "axis", 0);
  set_int(add_node(g, "Concat", "concat", {"n", "minus_one"}, {"target"}), "axis", 0);
  add_node(g, "Reshape", "reshape", {"r", "target"}, {"f"});
  set_int(add_node(g, "Gemm", "fc", {"f", "fc2.weight", "fc.bias"}, {"y"}), "transB", 1);
  return m;
}

// Loads with the checker and without and runs what loads: only cnn::Error may come out.
void expect_clean(const std::string& path, const std::string& what) {
  for (bool check : {false, true}) {
    SCOPED_TRACE(what);
    const std::string e = outcome(path, check, true);
    if (!e.empty() && e.find("onnx") == std::string::npos) ADD_FAILURE() << what << ": " << e;
  }
}

// Every node of two models turned into every supported op (keeping its inputs, outputs and
// attributes), and given too few, too many, or omitted inputs and outputs.
TEST_F(OnnxHostile, StructuralMutations) {
  int cases = 0;
  for (const ModelProto& base : {small_model(), shape_model()}) {
    ASSERT_EQ(outcome(write(base), false, true), "");
    for (int i = 0; i < base.graph().node_size(); ++i) {
      const std::string name = base.graph().node(i).name();
      std::vector<std::pair<std::string, std::function<void(NodeProto&)>>> edits;
      for (const std::string& op : supported_ops())
        edits.emplace_back("op " + op, [op](NodeProto& n) { n.set_op_type(op); });
      edits.emplace_back("no inputs", [](NodeProto& n) { n.clear_input(); });
      edits.emplace_back("no outputs", [](NodeProto& n) { n.clear_output(); });
      edits.emplace_back("last input dropped", [](NodeProto& n) {
        if (n.input_size() > 0) n.mutable_input()->RemoveLast();
      });
      const std::string x = "x", extra = "extra";
      edits.emplace_back("extra input", [x](NodeProto& n) { n.add_input(x); });
      edits.emplace_back("extra output", [extra](NodeProto& n) { n.add_output(extra); });
      for (int k = 0; k < base.graph().node(i).input_size(); ++k)
        edits.emplace_back("input " + std::to_string(k) + " omitted",
                           [k](NodeProto& n) { n.set_input(k, ""); });
      for (int k = 0; k < base.graph().node(i).output_size(); ++k)
        edits.emplace_back("output " + std::to_string(k) + " omitted",
                           [k](NodeProto& n) { n.set_output(k, ""); });
      for (const auto& [what, edit] : edits) {
        ModelProto m = base;
        edit(*m.mutable_graph()->mutable_node(i));
        expect_clean(write(m), "node '" + name + "': " + what);
        ++cases;
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
  EXPECT_GT(cases, 400);
}

// Attributes with hostile values on every node: zero, negative and huge strides, pads,
// dilations, kernels, groups and axes, permutations that are not, and attributes of the
// wrong type.
TEST_F(OnnxHostile, HostileAttributes) {
  constexpr int64_t kHuge = int64_t{1} << 40;
  const std::vector<std::pair<std::string, std::vector<int64_t>>> ints_attrs = {
      {"strides", {0, 0}},
      {"strides", {kHuge, kHuge}},
      {"strides", {-1, -1}},
      {"pads", {-1, -1, -1, -1}},
      {"pads", {kHuge, 0, kHuge, 0}},
      {"pads", {1, 1}},
      {"pads", {4096, 4096, 4096, 4096}},
      {"dilations", {0, 0}},
      {"dilations", {kHuge, kHuge}},
      {"kernel_shape", {0, 0}},
      {"kernel_shape", {kHuge, kHuge}},
      {"kernel_shape", {3}},
      {"perm", {0, 0}},
      {"perm", {kHuge}},
      {"axes", {kHuge}},
      {"output_shape", {kHuge, kHuge}},
      {"output_padding", {kHuge, kHuge}},
      {"split", {kHuge, -kHuge}}};
  const std::vector<std::pair<std::string, int64_t>> int_attrs = {
      {"group", 0},     {"group", -1},        {"group", kHuge}, {"axis", kHuge},   {"axis", -kHuge},
      {"transB", 7},    {"transA", 1},        {"keepdims", -3}, {"to", 1000},      {"size", kHuge},
      {"allowzero", 1}, {"storage_order", 5}, {"ceil_mode", 1}, {"start", -kHuge}, {"end", kHuge}};
  int cases = 0;
  for (const ModelProto& base : {small_model(), shape_model()}) {
    for (int i = 0; i < base.graph().node_size(); ++i) {
      const std::string name = base.graph().node(i).name();
      const auto replace = [&](ModelProto& m, const ::onnx::AttributeProto& a) {
        NodeProto* n = m.mutable_graph()->mutable_node(i);
        for (int k = 0; k < n->attribute_size(); ++k)
          if (n->attribute(k).name() == a.name()) n->mutable_attribute()->DeleteSubrange(k, 1);
        *n->add_attribute() = a;
      };
      for (const auto& [attr, values] : ints_attrs) {
        ModelProto m = base;
        ::onnx::AttributeProto a;
        a.set_name(attr);
        a.set_type(::onnx::AttributeProto::INTS);
        for (int64_t v : values) a.add_ints(v);
        replace(m, a);
        expect_clean(write(m), "node '" + name + "': " + attr);
        ++cases;
      }
      for (const auto& [attr, value] : int_attrs) {
        ModelProto m = base;
        ::onnx::AttributeProto a;
        a.set_name(attr);
        a.set_type(::onnx::AttributeProto::INT);
        a.set_i(value);
        replace(m, a);
        expect_clean(write(m), "node '" + name + "': " + attr + " = " + std::to_string(value));
        ++cases;
      }
      for (const std::string attr : {"pads", "axis", "alpha", "perm"}) {
        ModelProto m = base;
        ::onnx::AttributeProto a;
        a.set_name(attr);
        a.set_type(::onnx::AttributeProto::STRING);
        a.set_s("hostile");
        replace(m, a);
        expect_clean(write(m), "node '" + name + "': string " + attr);
        ++cases;
      }
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(cases, 300);
}

// 1500 seeded random edits of the two models, one to three each: a node's op replaced by any
// supported op, an input rewired to any value (or omitted), an attribute added with an extreme
// value, an input appended. Each file loads and runs or raises cnn::Error.
TEST_F(OnnxHostile, RandomStructuralMutations) {
  std::mt19937 rng(20240612);
  const auto pick = [&](const auto& v) { return v[rng() % v.size()]; };
  const std::vector<std::string> ops = supported_ops();
  const std::vector<std::string> attributes = {
      "axis",      "axes",          "perm",          "pads",      "strides",      "kernel_shape",
      "dilations", "group",         "keepdims",      "to",        "transA",       "transB",
      "alpha",     "beta",          "epsilon",       "shape",     "split",        "starts",
      "ends",      "mode",          "auto_pad",      "ceil_mode", "output_shape", "output_padding",
      "size",      "training_mode", "start",         "end",       "allowzero",    "min",
      "max",       "ratio",         "storage_order", "value_int", "value_ints"};
  const std::vector<int64_t> values = {0,
                                       1,
                                       2,
                                       3,
                                       -1,
                                       -2,
                                       -3,
                                       4,
                                       7,
                                       8,
                                       64,
                                       int64_t{1} << 20,
                                       int64_t{1} << 31,
                                       int64_t{1} << 40,
                                       std::numeric_limits<int64_t>::max(),
                                       std::numeric_limits<int64_t>::min()};
  for (int i = 0; i < 1500; ++i) {
    ModelProto m = i % 2 ? shape_model() : small_model();
    GraphProto* g = m.mutable_graph();
    *g->add_initializer() = int_tensor("i1", {2}, {pick(values), pick(values)});
    *g->add_initializer() = int_tensor("i0", {}, {pick(values)});
    *g->add_initializer() = float_tensor("f3", {3}, true);
    std::vector<std::string> names = {"x",           "i1",        "i0",      "f3",
                                      "conv.weight", "conv.bias", "fc.bias", ""};
    for (const auto& n : g->node())
      for (const auto& o : n.output()) names.push_back(o);
    std::string what = "mutation " + std::to_string(i) + ":";
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
      NodeProto* n =
          g->mutable_node(static_cast<int>(rng() % static_cast<uint32_t>(g->node_size())));
      what.append(" node '").append(n->name()).append("'");
      switch (rng() % 4) {
        case 0:
          n->set_op_type(pick(ops));
          what.append(" becomes ").append(n->op_type());
          break;
        case 1:
          if (n->input_size() > 0) {
            const int k = static_cast<int>(rng() % static_cast<uint32_t>(n->input_size()));
            n->set_input(k, pick(names));
            what.append(" input ")
                .append(std::to_string(k))
                .append(" = '")
                .append(n->input(k))
                .append("'");
          }
          break;
        case 2: {
          auto* a = n->add_attribute();
          a->set_name(pick(attributes));
          if (rng() % 2) {
            a->set_type(::onnx::AttributeProto::INT);
            a->set_i(pick(values));
          } else {
            a->set_type(::onnx::AttributeProto::INTS);
            for (uint32_t k = rng() % 5; k > 0; --k) a->add_ints(pick(values));
          }
          what.append(" attribute ").append(a->name());
          break;
        }
        default:
          n->add_input(pick(names));
          what.append(" one input more");
      }
    }
    expect_clean(write(m), what);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_F(OnnxHostile, Cycle) {
  ModelProto m = small_model();
  // relu reads pool's output and pool reads relu's: neither can run first
  node(m, "relu")->set_input(0, "p");
  node(m, "flatten")->set_input(0, "r");
  const std::string path = write(m);
  expect_refused(path, {"Relu node 'relu'", "reads 'p'", "cycle"}, {path});
}

TEST_F(OnnxHostile, NodesOutOfOrder) {
  ModelProto m = small_model();
  m.mutable_graph()->mutable_node()->SwapElements(1, 2);  // pool before the relu it reads
  const std::string path = write(m);
  expect_refused(path, {"GlobalAveragePool node 'pool'", "reads 'r'", "topological order"},
                 {path, "pool"});
}

TEST_F(OnnxHostile, InputNobodyDefines) {
  ModelProto m = small_model();
  node(m, "fc")->set_input(2, "nowhere");
  const std::string path = write(m);
  expect_refused(path, {"Gemm node 'fc'", "reads 'nowhere'", "missing value"}, {path, "nowhere"});
}

TEST_F(OnnxHostile, DuplicateOutputNames) {
  ModelProto m = small_model();
  node(m, "relu")->set_output(0, "c");  // conv's output again
  const std::string path = write(m);
  expect_refused(path, {"Relu node 'relu' output 'c' is defined twice"}, {path});
}

TEST_F(OnnxHostile, InitializerNamedTwice) {
  ModelProto m = small_model();
  *m.mutable_graph()->add_initializer() = float_tensor("fc.bias", {2}, true);
  const std::string path = write(m);
  expect_refused(path, {"initializer 'fc.bias' is defined twice"}, {path});
}

TEST_F(OnnxHostile, GraphOutputNeverComputed) {
  ModelProto m = small_model();
  m.mutable_graph()->mutable_output(0)->set_name("z");
  const std::string path = write(m);
  expect_refused(path, {"graph output 'z' is never computed"}, {path});
}

// Work in proportion to the file: 50000 Identity nodes (each alias used to rescan the graph),
// 8000 Adds of their own initializers (each initializer used to rescan every node, and to
// look its name up in lists), and an integer Concat of [2^18, 1] parts along axis 1 (each
// part used to be copied once per row) load and run well within outcome()'s 10 s.
TEST_F(OnnxHostile, WorkInProportionToTheFile) {
  for (const std::string kind : {"Identity", "Add"}) {
    SCOPED_TRACE(kind);
    ModelProto m = small_model();
    GraphProto* g = m.mutable_graph();
    std::string previous = "x";
    for (int i = 0; i < (kind == "Identity" ? 50000 : 8000); ++i) {
      std::string name = "v";
      name.append(std::to_string(i));
      if (kind == "Add") *g->add_initializer() = float_tensor(name + ".w", {1}, true);
      insert_node(g, i, kind, name,
                  kind == "Add" ? std::vector<std::string>{previous, name + ".w"}
                                : std::vector<std::string>{previous},
                  {name});
      previous = name;
    }
    node(m, "conv")->set_input(0, previous);
    const std::string path = write(m);
    for (bool check : {false, true}) EXPECT_EQ(outcome(path, check, true), "");
  }
  ModelProto m = small_model();
  GraphProto* g = m.mutable_graph();
  constexpr int64_t kRows = int64_t{1} << 18;
  *g->add_initializer() = int_tensor("a", {kRows, 1}, std::vector<int64_t>(kRows, 1));
  *g->add_initializer() = int_tensor("b", {kRows, 1}, std::vector<int64_t>(kRows, 2));
  set_int(add_node(g, "Concat", "concat", {"a", "b"}, {"ab"}), "axis", 1);
  declare(g->add_output(), "ab", {kRows, 2}, TensorProto::INT64);
  const std::string path = write(m);
  for (bool check : {false, true}) EXPECT_EQ(outcome(path, check, true), "");
}

// ---- dimensions ----

TEST_F(OnnxHostile, InitializerDimsOverflow) {
  ModelProto m = small_model();
  TensorProto* w = initializer(m, "conv.weight");
  w->clear_dims();
  w->add_dims(int64_t{1} << 40);
  w->add_dims(int64_t{1} << 40);
  const std::string path = write(m);
  expect_refused(path, {"initializer 'conv.weight'", "overflows"}, {path});
}

// Dims whose product fits 64 bits but is 2^40 elements, with no data at all: refused from
// the element counts, before anything is allocated.
TEST_F(OnnxHostile, InitializerDimsHugeWithoutData) {
  for (bool raw : {true, false}) {
    ModelProto m = small_model();
    TensorProto* b = initializer(m, raw ? "fc.bias" : "conv.bias");
    b->clear_dims();
    b->add_dims(int64_t{1} << 20);
    b->add_dims(int64_t{1} << 20);
    const std::string path = write(m);
    expect_refused(path,
                   {raw ? "initializer 'fc.bias': raw data holds 8 bytes"
                        : "initializer 'conv.bias': holds 4 values",
                    "[1048576, 1048576]"},
                   {path});
  }
}

TEST_F(OnnxHostile, InitializerDimsNegative) {
  ModelProto m = small_model();
  TensorProto* b = initializer(m, "fc.bias");
  b->set_dims(0, -2);
  const std::string path = write(m);
  expect_refused(path, {"initializer 'fc.bias'", "negative dimension -2"}, {path});
}

// A declared input of [2^40, 3, 2^40, 2^40]: the declaration costs nothing; an input of
// another shape is refused when the model runs.
TEST_F(OnnxHostile, GraphInputWithHugeDims) {
  ModelProto m = small_model();
  auto* shape =
      m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  for (int d : {0, 2, 3}) shape->mutable_dim(d)->set_dim_value(int64_t{1} << 40);
  const std::string path = write(m);
  for (bool check : {false, true}) {
    const std::string e = outcome(path, check, true);
    if (check && e.find(path) != std::string::npos) continue;  // shape inference may object
    EXPECT_NE(e.find("where the model declares 1099511627776"), std::string::npos) << e;
  }
}

// A declared input with negative extents reads as symbolic dimensions or is refused.
TEST_F(OnnxHostile, GraphInputWithNegativeDims) {
  ModelProto m = small_model();
  auto* shape =
      m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->mutable_dim(2)->set_dim_value(-7);
  const std::string path = write(m);
  for (bool check : {false, true}) {
    const std::string e = outcome(path, check, true);
    if (!e.empty()) {
      EXPECT_NE(e.find(path), std::string::npos) << e;
    }
  }
}

// ---- tensor data ----

TEST_F(OnnxHostile, RawDataShorterThanShape) {
  ModelProto m = small_model();
  TensorProto* w = initializer(m, "conv.weight");
  w->set_raw_data(w->raw_data().substr(0, 100));
  const std::string path = write(m);
  expect_refused(
      path, {"initializer 'conv.weight': raw data holds 100 bytes", "[4, 3, 3, 3]", "needs 432"},
      {path});
}

TEST_F(OnnxHostile, RawDataLongerThanShape) {
  ModelProto m = small_model();
  TensorProto* w = initializer(m, "conv.weight");
  w->mutable_raw_data()->append(8, '\0');
  const std::string path = write(m);
  expect_refused(path, {"initializer 'conv.weight': raw data holds 440 bytes", "needs 432"},
                 {path});
}

TEST_F(OnnxHostile, FloatDataCountMismatch) {
  for (int extra : {-1, 1}) {
    ModelProto m = small_model();
    TensorProto* b = initializer(m, "conv.bias");
    if (extra < 0)
      b->mutable_float_data()->RemoveLast();
    else
      b->add_float_data(1.0f);
    const std::string path = write(m);
    expect_refused(
        path,
        {"initializer 'conv.bias': holds " + std::to_string(4 + extra) + " values", "needs 4"},
        {path});
  }
}

TEST_F(OnnxHostile, Int64DataCountMismatch) {
  ModelProto m = small_model();
  // Flatten's output reshaped by a shape whose int64_data holds one value for two
  *m.mutable_graph()->add_initializer() = int_tensor("shape", {2}, {1});
  node(m, "fc")->set_input(0, "f2");
  insert_node(m.mutable_graph(), 4, "Reshape", "reshape", {"f", "shape"}, {"f2"});
  const std::string path = write(m);
  expect_refused(path, {"initializer 'shape': holds 1 values", "needs 2"}, {path});
}

// ---- external data ----

class OnnxHostileExternal : public OnnxHostile {
 protected:
  // The model in <dir>/model/, conv.weight's 432 bytes in <dir>/model/weights.bin, and a copy
  // of them outside the model's folder in <dir>/outside.bin.
  void SetUp() override {
    OnnxHostile::SetUp();
    fs::create_directories(dir_ / "model");
    const TensorProto w = float_tensor("w", {4, 3, 3, 3}, true);
    write_bytes(w.raw_data(), "model/weights.bin");
    write_bytes(w.raw_data(), "outside.bin");
  }
  // conv.weight's data at `location` with the given entries ("" leaves one out).
  std::string model_with(const std::string& location, const std::string& offset = "",
                         const std::string& length = "") {
    ModelProto m = small_model();
    TensorProto* w = initializer(m, "conv.weight");
    w->clear_raw_data();
    w->set_data_location(TensorProto::EXTERNAL);
    const auto entry = [&](const std::string& key, const std::string& value) {
      if (value.empty()) return;
      auto* e = w->add_external_data();
      e->set_key(key);
      e->set_value(value);
    };
    entry("location", location);
    entry("offset", offset);
    entry("length", length);
    return write(m, "model/model.onnx");
  }
};

TEST_F(OnnxHostileExternal, ValidExternalDataLoads) {
  const std::string path = model_with("weights.bin", "0", "432");
  for (bool check : {false, true}) EXPECT_EQ(outcome(path, check, true), "");
}

TEST_F(OnnxHostileExternal, LocationWithDotDot) {
  const std::string path = model_with("../outside.bin");
  expect_refused(path, {"initializer 'conv.weight'", "'../outside.bin' leaves the model's folder"},
                 {path});
  const std::string inner = model_with("sub/../../outside.bin");
  expect_refused(inner, {"leaves the model's folder"}, {inner});
}

TEST_F(OnnxHostileExternal, AbsoluteLocation) {
  const std::string outside = (dir_ / "outside.bin").string();
  const std::string path = model_with(outside);
  expect_refused(path, {"initializer 'conv.weight'", "is an absolute path"}, {path});
}

TEST_F(OnnxHostileExternal, SymbolicLinkLeavingTheFolder) {
  fs::create_symlink(dir_ / "outside.bin", dir_ / "model" / "link.bin");
  const std::string path = model_with("link.bin");
  expect_refused(
      path, {"initializer 'conv.weight'", "'link.bin' resolves to", "outside the model's folder"},
      {path});
  // a link to a folder outside, then a name inside it
  fs::create_directories(dir_ / "elsewhere");
  fs::copy_file(dir_ / "outside.bin", dir_ / "elsewhere" / "w.bin");
  fs::create_directory_symlink(dir_ / "elsewhere", dir_ / "model" / "linked");
  const std::string via = model_with("linked/w.bin");
  expect_refused(via, {"outside the model's folder"}, {via});
}

TEST_F(OnnxHostileExternal, OffsetPastTheEnd) {
  const std::string path = model_with("weights.bin", "1000");
  expect_refused(path,
                 {"initializer 'conv.weight'",
                  "external data [1000, 1432) lies past the end of 'weights.bin'", "(432 bytes)"},
                 {path});
  const std::string near = model_with("weights.bin", "4");
  expect_refused(near, {"[4, 436) lies past the end"}, {near});
}

TEST_F(OnnxHostileExternal, LengthLargerThanTheFile) {
  // the shape needs more than the file holds
  write_bytes(std::string(200, '\0'), "model/short.bin");
  const std::string path = model_with("short.bin", "0", "432");
  expect_refused(
      path, {"initializer 'conv.weight'", "[0, 432) lies past the end of 'short.bin' (200 bytes)"},
      {path});
  // a length that disagrees with the shape
  const std::string longer = model_with("weights.bin", "0", "100000");
  expect_refused(longer, {"external data length 100000 bytes, but the shape needs 432"}, {longer});
}

TEST_F(OnnxHostileExternal, NonNumericOffsetAndLength) {
  for (const std::string bad : {"12abc", "-4", "0x10", " 1", "99999999999999999999999"}) {
    const std::string path = model_with("weights.bin", bad);
    expect_refused(
        path, {"initializer 'conv.weight'", "external data 'offset' is not a non-negative integer"},
        {path});
  }
  const std::string path = model_with("weights.bin", "0", "4.32e2");
  expect_refused(path, {"external data 'length' is not a non-negative integer: '4.32e2'"}, {path});
}

TEST_F(OnnxHostileExternal, LocationIsAFolder) {
  fs::create_directories(dir_ / "model" / "folder");
  const std::string path = model_with("folder");
  expect_refused(
      path, {"initializer 'conv.weight'", "external data 'folder' is not a regular file"}, {path});
}

TEST_F(OnnxHostileExternal, LocationIsAFifo) {
  const std::string fifo = (dir_ / "model" / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string path = model_with("fifo");
  const auto unblock = [&] { ::close(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)); };
  for (bool check : {false, true}) {
    const std::string e = outcome(path, check, false, unblock);
    EXPECT_NE(e.find(path), std::string::npos) << e;
    if (!check) {
      EXPECT_NE(e.find("external data 'fifo' is not a regular file"), std::string::npos) << e;
    }
  }
}

TEST_F(OnnxHostileExternal, MissingLocation) {
  const std::string path = model_with("", "0");
  expect_refused(path, {"initializer 'conv.weight': external data without a 'location'"}, {path});
  const std::string absent = model_with("absent.bin");
  expect_refused(absent, {"external data file 'absent.bin' not found next to the model"}, {absent});
}

// ---- the model path ----

TEST_F(OnnxHostile, ModelPathIsAFolder) {
  const std::string path = dir_.string();
  expect_refused(path, {}, {path + ": is a folder, not a file (an ONNX model must be"});
}

TEST_F(OnnxHostile, ModelPathIsAFifo) {
  const std::string fifo = (dir_ / "model.onnx").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto unblock = [&] { ::close(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)); };
  for (bool check : {false, true}) {
    const std::string e = outcome(fifo, check, false, unblock);
    EXPECT_NE(e.find(fifo + ": is a FIFO (named pipe), not a file"), std::string::npos) << e;
  }
}

TEST_F(OnnxHostile, ModelPathIsADevice) {
  for (const std::string dev : {"/dev/zero", "/dev/null", "/dev/urandom"})
    expect_refused(dev, {}, {dev + ": is a character device, not a file"});
}

TEST_F(OnnxHostile, ModelPathMissing) {
  const std::string path = (dir_ / "absent.onnx").string();
  expect_refused(path, {}, {path + ": cannot open an ONNX model", "No such file"});
}

TEST_F(OnnxHostile, EmptyFile) {
  const std::string path = write_bytes("");
  expect_refused(path, {}, {path, "is empty"});
}

TEST_F(OnnxHostile, FileOverMaxFileBytes) {
  const std::string path = write(small_model());
  const auto size = static_cast<int64_t>(fs::file_size(path));
  for (bool check : {false, true}) {
    try {
      load(path, {.check = check, .max_file_bytes = size - 1});
      ADD_FAILURE() << "loaded";
    } catch (const Error& e) {
      EXPECT_NE(
          std::string(e.what()).find("has " + std::to_string(size) +
                                     " bytes, more than the limit of " + std::to_string(size - 1)),
          std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(outcome(path, true, true), "");
}

// Bytes that are not a protobuf message at all.
TEST_F(OnnxHostile, NotAProtobuf) {
  const std::string path = write_bytes("<?xml version=\"1.0\"?><model/>\n");
  expect_refused(path, {"is not a valid ONNX model"}, {path});
}

// Deeply nested messages (a node attribute holding a graph holding a node ...) stop at
// protobuf's recursion limit, never the stack.
TEST_F(OnnxHostile, DeeplyNestedGraphs) {
  ModelProto m = small_model();
  GraphProto* g = m.mutable_graph();
  for (int depth = 0; depth < 2000; ++depth) {
    NodeProto* n = g->add_node();
    n->set_op_type("If");
    auto* a = n->add_attribute();
    a->set_name("then_branch");
    a->set_type(::onnx::AttributeProto::GRAPH);
    g = a->mutable_g();
  }
  std::string bytes;
  ASSERT_TRUE(m.SerializeToString(&bytes));
  const std::string path = write_bytes(bytes);
  expect_refused(path, {"not a valid ONNX model"}, {path});
}

// ---- versions, domains and ops ----

TEST_F(OnnxHostile, IrVersionTooNewOrOld) {
  for (int64_t ir : {2, 9, 1000}) {
    ModelProto m = small_model();
    m.set_ir_version(ir);
    const std::string path = write(m);
    expect_refused(path, {}, {path, "IR version " + std::to_string(ir), "IR versions 3 to 8"});
  }
}

TEST_F(OnnxHostile, OpsetAbove17) {
  for (int64_t opset : {18, 1000}) {
    const std::string path = write(small_model(opset));
    expect_refused(path, {}, {path, "opset " + std::to_string(opset), "opsets up to 17"});
  }
  ModelProto m = small_model();
  m.clear_opset_import();
  const std::string none = write(m);
  expect_refused(none, {}, {none, "opset -1"});
}

TEST_F(OnnxHostile, OpInAnotherDomain) {
  ModelProto m = small_model();
  auto* op = m.add_opset_import();
  op->set_domain("com.example");
  op->set_version(1);
  node(m, "relu")->set_domain("com.example");
  const std::string path = write(m);
  expect_refused(path,
                 {"Relu node 'relu' is in domain 'com.example'", "only the default ONNX domain"},
                 {path});
}

TEST_F(OnnxHostile, UnsupportedOp) {
  ModelProto m = small_model();
  node(m, "relu")->set_op_type("Elu");
  const std::string path = write(m);
  expect_refused(path, {},
                 {path, "unsupported op Elu (opset 13) in Elu node 'relu'",
                  "Supported ops: ", "Conv, ", "GlobalAveragePool, "});
}

// An op type ONNX does not define at all.
TEST_F(OnnxHostile, UnknownOp) {
  ModelProto m = small_model();
  node(m, "relu")->set_op_type("NoSuchOp");
  const std::string path = write(m);
  expect_refused(path,
                 {"unsupported op NoSuchOp (opset 13) in NoSuchOp node 'relu'", "Supported ops: "},
                 {path});
}

// ---- values computed at load or at run time ----

TEST_F(OnnxHostile, ReshapeWithTwoMinusOnes) {
  ModelProto m = small_model();
  *m.mutable_graph()->add_initializer() = int_tensor("shape", {2}, {-1, -1});
  node(m, "fc")->set_input(0, "f2");
  insert_node(m.mutable_graph(), 4, "Reshape", "reshape", {"f", "shape"}, {"f2"});
  const std::string path = write(m);
  expect_run_error(path, false, {"Reshape node 'reshape'", "more than one -1 in shape [-1, -1]"});
  EXPECT_NE(outcome(path, true, true).find("reshape"), std::string::npos);
}

// A Reshape to extents the data cannot have: their product overflows, or is merely huge.
TEST_F(OnnxHostile, ReshapeToHugeExtents) {
  for (const auto& [target, message] : std::vector<std::pair<std::vector<int64_t>, std::string>>{
           {{int64_t{1} << 40, int64_t{1} << 40}, "overflows"},
           {{int64_t{1} << 40, 1}, "cannot reshape [1, 4] (4 elements) to [1099511627776, 1]"},
           {{-1, int64_t{1} << 40}, "cannot reshape [1, 4] to [-1, 1099511627776]"}}) {
    ModelProto m = small_model();
    *m.mutable_graph()->add_initializer() = int_tensor("shape", {2}, target);
    node(m, "fc")->set_input(0, "f2");
    insert_node(m.mutable_graph(), 4, "Reshape", "reshape", {"f", "shape"}, {"f2"});
    const std::string path = write(m);
    expect_run_error(path, false, {"Reshape node 'reshape'", message});
  }
}

// ConstantOfShape with a constant shape runs at load: 2^40 elements, or even 2^28 (1 GiB) from
// a file of a few hundred bytes, is refused before anything is allocated.
TEST_F(OnnxHostile, ConstantOfShapeHugeAtLoad) {
  for (const std::vector<int64_t>& dims :
       std::vector<std::vector<int64_t>>{{int64_t{1} << 20, int64_t{1} << 20},
                                         {int64_t{1} << 14, int64_t{1} << 14},
                                         {int64_t{1} << 62, 4}}) {
    ModelProto m = small_model();
    *m.mutable_graph()->add_initializer() = int_tensor("big_shape", {2}, dims);
    add_node(m.mutable_graph(), "ConstantOfShape", "zeros", {"big_shape"}, {"big"});
    add_node(m.mutable_graph(), "ReduceMean", "reduce", {"big"}, {"small"});
    declare(m.mutable_graph()->add_output(), "small", {1, 1});
    const std::string path = write(m);
    expect_refused(path, {"ConstantOfShape node 'zeros'"}, {path});
    const std::string e = outcome(path, false);
    EXPECT_TRUE(e.find("too large") != std::string::npos ||
                e.find("overflow") != std::string::npos ||
                e.find("more elements than fit") != std::string::npos)
        << e;
  }
}

// The same from a shape computed at run time: Shape(x) * 1024, 3 * 2^46 elements.
TEST_F(OnnxHostile, ConstantOfShapeHugeAtRunTime) {
  ModelProto m = small_model();
  GraphProto* g = m.mutable_graph();
  *g->add_initializer() = int_tensor("scale", {1}, {1024});
  add_node(g, "Shape", "shape", {"x"}, {"s"});
  add_node(g, "Mul", "scale_shape", {"s", "scale"}, {"s2"});
  add_node(g, "ConstantOfShape", "zeros", {"s2"}, {"big"});
  add_node(g, "ReduceMean", "reduce", {"big"}, {"small"});
  declare(g->add_output(), "small", {1, 1, 1, 1});
  const std::string path = write(m);
  for (bool check : {false, true})
    expect_run_error(path, check, {"ConstantOfShape node 'zeros'", "too large"});
}

// Ops whose result is a product of their inputs' sizes: [N, 1] + [1, N], [N, 1] @ [1, N], N
// indices into a [1, N] table, and a Pad of N on each side, from a file of 400 KiB. Float
// initializers are parameters, so these run when the model runs; each is refused before its
// 2^28 or more elements are allocated (the limit is 1024 times the inputs and the model's data).
TEST_F(OnnxHostile, OuterProducts) {
  constexpr int64_t kN = int64_t{1} << 14;
  const auto base = [&] {
    ModelProto m = small_model();
    GraphProto* g = m.mutable_graph();
    *g->add_initializer() = float_tensor("column", {kN, 1}, true);
    *g->add_initializer() = float_tensor("row", {1, kN}, true);
    *g->add_initializer() = int_tensor("indices", {kN}, std::vector<int64_t>(kN, 0));
    *g->add_initializer() = int_tensor("pads", {4}, {kN, kN, kN, kN});
    return m;
  };
  const std::vector<std::tuple<std::string, std::vector<std::string>, std::string>> cases = {
      {"Add", {"column", "row"}, "[16384, 16384]"},
      {"Mul", {"row", "column"}, "[16384, 16384]"},
      {"Sum", {"column", "row", "row"}, "[16384, 16384]"},
      {"MatMul", {"column", "row"}, "[16384, 16384]"},
      {"Gemm", {"column", "row"}, "[16384, 16384]"},
      {"Gather", {"row", "indices"}, "[16384, 16384]"},
      {"Pad", {"row", "pads"}, "[32769, 49152]"},
  };
  for (const auto& [op, inputs, shape] : cases) {
    SCOPED_TRACE(op);
    ModelProto m = base();
    add_node(m.mutable_graph(), op, "blowup", inputs, {"big"});
    add_node(m.mutable_graph(), "ReduceMean", "reduce", {"big"}, {"small"});
    declare(m.mutable_graph()->add_output(), "small", {1, 1});
    const std::string path = write(m);
    for (bool check : {false, true})
      expect_run_error(path, check,
                       {op + " node 'blowup'", "a result of shape " + shape, "is too large"});
  }
}

// Integer tensors are constants and run at load: the same outer products are refused there.
TEST_F(OnnxHostile, IntegerOuterProductsAtLoad) {
  constexpr int64_t kN = int64_t{1} << 13;
  for (const std::string op : {"Add", "Gather"}) {
    SCOPED_TRACE(op);
    ModelProto m = small_model();
    GraphProto* g = m.mutable_graph();
    *g->add_initializer() = int_tensor("column", {kN, 1}, std::vector<int64_t>(kN, 0));
    *g->add_initializer() = int_tensor("row", {1, kN}, std::vector<int64_t>(kN, 0));
    *g->add_initializer() = int_tensor("indices", {kN}, std::vector<int64_t>(kN, 0));
    add_node(g, op, "blowup", {op == "Add" ? "column" : "row", op == "Add" ? "row" : "indices"},
             {"big"});
    declare(g->add_output(), "big", {kN, kN}, TensorProto::INT64);
    const std::string path = write(m);
    expect_refused(path, {op + " node 'blowup'", "is too large"}, {path, "blowup"});
  }
}

// The same at run time, from the input: a Pad of 2^20 and Conv pads of 2^30 refused before the
// kernels run (the limit there is 2^31 elements per result).
TEST_F(OnnxHostile, HugePaddingAtRunTime) {
  {
    ModelProto m = small_model();
    *m.mutable_graph()->add_initializer() =
        int_tensor("pads", {8}, {0, 0, 1 << 20, 1 << 20, 0, 0, 1 << 20, 1 << 20});
    insert_node(m.mutable_graph(), 0, "Pad", "pad", {"x", "pads"}, {"padded"});
    node(m, "conv")->set_input(0, "padded");
    const std::string path = write(m);
    expect_run_error(path, false, {"Pad node 'pad'", "is too large"});
  }
  for (int64_t p : {int64_t{1} << 30, int64_t{1} << 40}) {
    ModelProto m = small_model();
    NodeProto* conv = node(m, "conv");
    conv->mutable_attribute(0)->clear_ints();
    for (int k = 0; k < 4; ++k) conv->mutable_attribute(0)->add_ints(p);
    const std::string path = write(m);
    expect_run_error(path, false,
                     {"Conv node 'conv'",
                      p > (int64_t{1} << 31) ? "must lie in [0, 2147483648]" : "is too large"});
  }
}

TEST_F(OnnxHostile, GatherOutOfRange) {
  // at load: data and indices both constants
  {
    ModelProto m = small_model();
    GraphProto* g = m.mutable_graph();
    *g->add_initializer() = int_tensor("table", {3}, {5, 6, 7});
    *g->add_initializer() = int_tensor("indices", {2}, {1, 3});
    add_node(g, "Gather", "gather", {"table", "indices"}, {"picked"});
    declare(g->add_output(), "picked", {2}, TensorProto::INT64);
    const std::string path = write(m);
    expect_refused(path, {"Gather node 'gather'", "index 3 is outside [-3, 3)"}, {path});
  }
  // at run time: channels of x
  for (int64_t bad : {int64_t{3}, int64_t{-4}, int64_t{1} << 62}) {
    ModelProto m = small_model();
    GraphProto* g = m.mutable_graph();
    *g->add_initializer() = int_tensor("indices", {2}, {0, bad});
    auto* gather = insert_node(g, 0, "Gather", "gather", {"x", "indices"}, {"picked"});
    set_int(gather, "axis", 1);
    node(m, "conv")->set_input(0, "picked");
    const std::string path = write(m);
    expect_run_error(
        path, false,
        {"Gather node 'gather'", "index " + std::to_string(bad) + " is outside [-3, 3)"});
  }
}

// Integer arithmetic on shapes that overflows 64 bits (INT64_MIN / -1 traps on x86) is refused,
// at load where the operands are constants.
TEST_F(OnnxHostile, IntegerArithmeticOverflow) {
  const int64_t kMin = std::numeric_limits<int64_t>::min(),
                kMax = std::numeric_limits<int64_t>::max();
  for (const auto& [op, a, b] :
       std::vector<std::tuple<std::string, int64_t, int64_t>>{{"Div", kMin, -1},
                                                              {"Mul", int64_t{1} << 62, 4},
                                                              {"Add", kMax, 1},
                                                              {"Sub", kMin, 1},
                                                              {"Div", 7, 0}}) {
    SCOPED_TRACE(op);
    ModelProto m = small_model();
    GraphProto* g = m.mutable_graph();
    *g->add_initializer() = int_tensor("a", {1}, {a});
    *g->add_initializer() = int_tensor("b", {1}, {b});
    add_node(g, op, "arith", {"a", "b"}, {"arith_out"});
    declare(g->add_output(), "arith_out", {1}, TensorProto::INT64);
    const std::string path = write(m);
    expect_refused(path, {op + " node 'arith'"}, {path, "arith"});
  }
}

// Axis ops on a scalar, which has no axis 0 (Split read its shape past the end).
TEST_F(OnnxHostile, AxesOfAScalar) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"Split", {"scalar"}},
      {"Concat", {"scalar", "scalar"}},
      {"Squeeze", {"scalar", "zero"}},
      {"ReduceMax", {"scalar"}},
      {"Slice", {"scalar", "zero", "one", "zero"}}};
  for (const auto& [op, inputs] : cases) {
    SCOPED_TRACE(op);
    ModelProto m = small_model();
    GraphProto* g = m.mutable_graph();
    *g->add_initializer() = int_tensor("scalar", {}, {5});
    *g->add_initializer() = int_tensor("zero", {1}, {0});
    *g->add_initializer() = int_tensor("one", {1}, {1});
    NodeProto* n = add_node(g, op, "scalar_op", inputs, {"scalar_out"});
    if (op == "Split" || op == "Concat") set_int(n, "axis", 0);
    if (op == "ReduceMax") set_ints(n, "axes", {0});
    declare(g->add_output(), "scalar_out", {}, TensorProto::INT64);
    const std::string path = write(m);
    expect_refused(path, {op + " node 'scalar_op'", "axis 0 is outside a tensor of rank 0"},
                   {path});
  }
}

// Slice steps of +-2^63 are valid ONNX (one element); they must not overflow the index
// arithmetic (-INT64_MIN), on float data at run time or on integers at load.
TEST_F(OnnxHostile, SliceWithExtremeSteps) {
  const int64_t kMin = std::numeric_limits<int64_t>::min(),
                kMax = std::numeric_limits<int64_t>::max();
  for (const auto& [start, end, step] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {0, kMax, kMax}, {-1, kMin, kMin}, {kMin, kMax, 3}}) {
    SCOPED_TRACE(std::to_string(step));
    ModelProto m = small_model();
    GraphProto* g = m.mutable_graph();
    *g->add_initializer() = int_tensor("starts", {1}, {start});
    *g->add_initializer() = int_tensor("ends", {1}, {end});
    *g->add_initializer() = int_tensor("axes", {1}, {2});
    *g->add_initializer() = int_tensor("steps", {1}, {step});
    *g->add_initializer() = int_tensor("table", {1, 1, 8}, {0, 1, 2, 3, 4, 5, 6, 7});
    insert_node(g, 0, "Slice", "rows", {"x", "starts", "ends", "axes", "steps"}, {"sliced"});
    node(m, "conv")->set_input(0, "sliced");
    add_node(g, "Slice", "ints", {"table", "starts", "ends", "axes", "steps"}, {"picked"});
    declare(g->add_output(), "picked", {1, 1, -1}, TensorProto::INT64);
    const std::string path = write(m);
    for (bool check : {false, true}) EXPECT_EQ(outcome(path, check, true), "");
  }
}

// A Conv weight of the wrong rank or channel count passes the load without the checker; the
// run stops with the node's name.
TEST_F(OnnxHostile, ConvWeightOfWrongRank) {
  ModelProto m = small_model();
  *initializer(m, "conv.weight") = float_tensor("conv.weight", {4, 3, 9}, true);
  node(m, "conv")->mutable_attribute()->DeleteSubrange(1, 1);  // kernel_shape
  const std::string path = write(m);
  expect_run_error(path, false, {"Conv node 'conv'", "weight must have rank 4", "[4, 3, 9]"});
  const std::string checked = outcome(path, true, true);
  EXPECT_TRUE(checked.find(path) != std::string::npos ||
              checked.find("Conv node 'conv'") != std::string::npos)
      << checked;
}

TEST_F(OnnxHostile, ConvWeightOfWrongChannelCount) {
  ModelProto m = small_model();
  *initializer(m, "conv.weight") = float_tensor("conv.weight", {4, 5, 3, 3}, true);
  const std::string path = write(m);
  expect_run_error(path, false, {"Conv node 'conv'", "channel"});
  EXPECT_NE(outcome(path, true, true).find("conv"), std::string::npos);
}

}  // namespace
}  // namespace cnn::onnx
