// ONNX's own backend node tests (generated at test time by scripts/onnx/make_node_tests.py
// from Debian's python3-onnx), run with ONNX's rule: same shape and element type, and
// |ours - expected| <= 1e-7 + 1e-3 * |expected| for every element. Every case whose ops are all
// supported must pass, except the variants listed in node_test_exclusions.txt with the reason
// each is refused. The run writes <build>/onnx/node_report.csv (docs/ONNX.md is made from it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/onnx/onnx.h"

namespace cnn::onnx {
namespace {

namespace fs = std::filesystem;

const std::string kDir = std::string(CNN_ONNX_DATA) + "/node";

struct Outcome {
  std::string status;               // pass, fail, unsupported-op, excluded
  double max_abs = 0, max_rel = 0;  // max_rel: the largest share of ONNX's tolerance used
  std::string message;
};

// ONNX's comparison (numpy.testing.assert_allclose with rtol 1e-3, atol 1e-7).
Outcome compare(const Tensor& ours, const Tensor& expected) {
  Outcome o;
  if (ours.dtype() != expected.dtype()) {
    o.status = "fail";
    o.message = std::string("element type ") + dtype_name(ours.dtype()) + ", expected " +
                dtype_name(expected.dtype());
    return o;
  }
  if (ours.shape() != expected.shape()) {
    o.status = "fail";
    o.message = "shape " + to_string(ours.shape()) + ", expected " + to_string(expected.shape());
    return o;
  }
  o.status = "pass";
  const std::vector<float> a = ours.to_vector(), b = expected.to_vector();
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (std::isinf(b[i]) && a[i] == b[i]) continue;
    const double d = std::abs(static_cast<double>(a[i]) - b[i]);
    o.max_abs = std::max(o.max_abs, std::isnan(d) ? INFINITY : d);
    // the share of ONNX's tolerance this element uses (above 1 fails)
    const double allowed = 1e-7 + 1e-3 * std::abs(static_cast<double>(b[i]));
    o.max_rel = std::max(o.max_rel, std::isnan(d) ? INFINITY : d / allowed);
    if (!(d <= allowed)) {
      if (o.status == "pass") {
        std::ostringstream m;
        m << "element " << i << ": " << a[i] << ", expected " << b[i];
        o.message = m.str();
      }
      o.status = "fail";
    }
  }
  return o;
}

Outcome run_case(const std::string& name, size_t outputs) {
  const std::string dir = kDir + "/" + name;
  std::shared_ptr<Model> model;
  try {
    model = load(dir + "/model.onnx", {.nhwc_interface = false});
  } catch (const Error& e) {
    return {"fail", 0, 0, std::string("load: ") + e.what()};
  }
  Outcome total{"pass", 0, 0, ""};
  for (const auto& set : fs::directory_iterator(dir)) {
    if (!set.is_directory() || set.path().filename().string().rfind("test_data_set", 0) != 0)
      continue;
    std::vector<Tensor> inputs;
    std::vector<Tensor> got;
    try {
      for (size_t i = 0; fs::exists(set.path() / ("input_" + std::to_string(i) + ".pb")); ++i)
        inputs.push_back(read_tensor_file(set.path() / ("input_" + std::to_string(i) + ".pb")));
      model->eval();
      NoGradGuard no_grad;
      got = model->run(inputs);
    } catch (const Error& e) {
      return {"fail", 0, 0, std::string("run: ") + e.what()};
    }
    if (got.size() < outputs) return {"fail", 0, 0, "too few outputs"};
    for (size_t k = 0; k < outputs; ++k) {
      const Outcome o =
          compare(got[k], read_tensor_file(set.path() / ("output_" + std::to_string(k) + ".pb")));
      total.max_abs = std::max(total.max_abs, o.max_abs);
      total.max_rel = std::max(total.max_rel, o.max_rel);
      if (o.status != "pass" && total.status == "pass") {
        total.status = o.status;
        total.message = "output " + std::to_string(k) + ": " + o.message;
      }
    }
  }
  return total;
}

// name -> reason, from node_test_exclusions.txt ("test_name  reason...").
std::map<std::string, std::string> exclusions() {
  std::map<std::string, std::string> out;
  std::ifstream in(std::string(CNN_SOURCE_DIR) + "/tests/onnx/node_test_exclusions.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find_first_of(" \t");
    const std::string name = line.substr(0, space);
    const size_t reason =
        space == std::string::npos ? line.size() : line.find_first_not_of(" \t", space);
    out[name] = reason == std::string::npos ? "" : line.substr(reason);
  }
  return out;
}

TEST(OnnxNodeTests, EveryCaseOfASupportedOpPasses) {
  std::ifstream manifest_file(kDir + "/manifest.json");
  ASSERT_TRUE(manifest_file) << "no generated node tests in " << kDir;
  const nlohmann::json manifest = nlohmann::json::parse(manifest_file);
  const std::vector<std::string> ops = supported_ops();
  const std::set<std::string> supported(ops.begin(), ops.end());
  const auto excluded = exclusions();
  std::ofstream report(kDir + "/../node_report.csv");
  report << "case,ops,status,max_abs_error,tolerance_used,message\n";
  int passed = 0, failed = 0, skipped = 0, unsupported = 0;
  std::set<std::string> used_exclusions;
  for (const auto& c : manifest) {
    const std::string name = c["name"];
    std::string op_list;
    bool all_supported = true;
    for (const auto& op : c["ops"]) {
      if (!op_list.empty()) op_list.append(" ");
      op_list.append(op.get<std::string>());
      all_supported = all_supported && supported.count(op.get<std::string>()) != 0;
    }
    bool tensors_only = true, types_supported = true;
    std::string type_list;
    for (const char* side : {"inputs", "outputs"})
      for (const auto& v : c[side]) {
        tensors_only = tensors_only && v.value("kind", "tensor") == "tensor";
        const std::string type = v.value("elem_type_name", "FLOAT");
        if (type != "FLOAT" && type != "INT64" && type != "INT32" && type != "BOOL") {
          types_supported = false;
          type_list.append(type_list.empty() ? "" : " ").append(type);
        }
      }
    Outcome o;
    if (!all_supported || !tensors_only) {
      o = {"unsupported-op", 0, 0,
           tensors_only ? "uses an op outside the supported list" : "sequence or optional values"};
      ++unsupported;
    } else if (!types_supported) {
      o = {"unsupported-type", 0, 0, "element type " + type_list};
      ++unsupported;
    } else if (excluded.count(name)) {
      o = {"excluded", 0, 0, excluded.at(name)};
      used_exclusions.insert(name);
      ++skipped;
    } else {
      o = run_case(name, c["outputs"].size());
      if (o.status == "pass")
        ++passed;
      else {
        ++failed;
        ADD_FAILURE() << name << " (" << op_list << "): " << o.message;
      }
    }
    std::string message = o.message;
    std::replace(message.begin(), message.end(), ',', ';');
    std::replace(message.begin(), message.end(), '\n', ' ');
    report << name << "," << op_list << "," << o.status << "," << o.max_abs << "," << o.max_rel
           << "," << message.substr(0, 300) << "\n";
  }
  for (const auto& [name, reason] : excluded)
    EXPECT_TRUE(used_exclusions.count(name))
        << "exclusion of " << name
        << " is stale: the case is not generated or its ops are unsupported";
  std::cout << "ONNX node tests: " << passed << " passed, " << failed << " failed, " << skipped
            << " excluded, " << unsupported << " with unsupported ops or element types\n";
  EXPECT_GT(passed, 100);
}

}  // namespace
}  // namespace cnn::onnx
