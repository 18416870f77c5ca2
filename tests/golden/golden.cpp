#include "golden/golden.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cnn/autograd.h"
#include "cnn/io/safetensors.h"
#include "support/tensor_testing.h"

namespace cnn::golden {

std::vector<Case> load_family(const std::string& family) {
  const std::filesystem::path dir = std::filesystem::path(CNN_GOLDEN_DIR) / family;
  std::vector<Case> cases;
  if (!std::filesystem::is_directory(dir)) {
    ADD_FAILURE() << "no golden data in " << dir
                  << "; run: /usr/bin/python3 scripts/golden/make_golden.py --out "
                  << CNN_GOLDEN_DIR;
    return cases;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".safetensors") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    io::Metadata meta;
    const nn::StateDict all = io::load_safetensors(file.string(), &meta);
    Case c;
    c.family = family;
    c.name = file.stem().string();
    c.op = meta["op"];
    c.params = nlohmann::json::parse(meta["params"]);
    for (const auto& [key, t] : all) {
      const auto dot = key.find('.');
      const std::string group = key.substr(0, dot), name = key.substr(dot + 1);
      if (group == "input")
        c.inputs[name] = t;
      else if (group == "output")
        c.outputs[name] = t;
      else if (group == "grad_output")
        c.grad_outputs[name] = t;
      else if (group == "grad")
        c.grads[name] = t;
    }
    cases.push_back(std::move(c));
  }
  EXPECT_FALSE(cases.empty()) << "no golden cases in " << dir;
  return cases;
}

namespace {

void record_error(const Case& c, const std::string& what, double error) {
  std::ofstream out(std::filesystem::path(CNN_GOLDEN_DIR) / "errors.csv", std::ios::app);
  out << c.family << ',' << c.name << ',' << c.op << ',' << what << ',' << error << '\n';
}

}  // namespace

double check_case(const Case& c, const Forward& forward, double tolerance) {
  SCOPED_TRACE(c.family + "/" + c.name + " (" + c.op + ", params " + c.params.dump() + ")");
  TensorMap inputs;
  for (const auto& [name, t] : c.inputs) {
    Tensor x = t.clone();
    if (c.grads.count(name)) x.requires_grad_(true);
    inputs[name] = x;
  }
  const TensorMap outputs = forward(c, inputs);
  double worst = 0.0;
  for (const auto& [name, expected] : c.outputs) {
    auto it = outputs.find(name);
    if (it == outputs.end()) {
      ADD_FAILURE() << "forward returned no output '" << name << "'";
      continue;
    }
    const double err = testing::relative_error(it->second, expected);
    EXPECT_LE(err, tolerance) << "output " << name;
    record_error(c, "output." + name, err);
    worst = std::max(worst, err);
  }
  if (c.grads.empty()) return worst;
  autograd::TensorList roots, seeds;
  for (const auto& [name, g] : c.grad_outputs) {
    auto it = outputs.find(name);
    if (it != outputs.end() && it->second.requires_grad()) {
      roots.push_back(it->second);
      seeds.push_back(g);
    }
  }
  if (roots.empty()) {
    ADD_FAILURE() << "no output requires grad";
    return worst;
  }
  autograd::run_backward(roots, seeds, false);
  for (const auto& [name, expected] : c.grads) {
    const Tensor& got = inputs[name].grad();
    if (!got.defined()) {
      ADD_FAILURE() << "no gradient reached input '" << name << "'";
      continue;
    }
    const double err = testing::relative_error(got, expected);
    EXPECT_LE(err, tolerance) << "gradient of " << name;
    record_error(c, "grad." + name, err);
    worst = std::max(worst, err);
  }
  return worst;
}

int check_family(const std::string& family, const Forward& forward, double tolerance) {
  int n = 0;
  for (const Case& c : load_family(family)) {
    check_case(c, forward, tolerance);
    ++n;
  }
  return n;
}

}  // namespace cnn::golden
