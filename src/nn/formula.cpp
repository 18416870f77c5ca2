#include "cnn/nn/formula.h"

#include <algorithm>
#include <cmath>

#include "cnn/nn/init.h"

namespace cnn::nn {

namespace {

cnn::FormulaOptions formula_options(const FormulaLayerOptions& options) {
  return {.constants = options.constants};
}

}  // namespace

Formula::Formula(const std::string& text, const FormulaLayerOptions& options, Generator& gen)
    : Module("Formula"),
      formula_(text, formula_options(options)),
      text_(text),
      input_(options.input) {
  const std::vector<std::string>& inputs = formula_.inputs();
  for (const FormulaParameter& p : options.parameters) {
    CNN_CHECK(std::find(inputs.begin(), inputs.end(), p.name) != inputs.end(),
              "nn::Formula: parameter ", p.name, " is not read by the formula ",
              formula_.to_string());
    CNN_CHECK(!parameters_.contains(p.name), "nn::Formula: parameter ", p.name, " is given twice");
    for (int64_t e : p.shape) {
      CNN_CHECK(e > 0, "nn::Formula: parameter ", p.name, " has shape ", to_string(p.shape),
                "; extents must be positive");
    }
    const int64_t fan_in = formula_.fan_in(p.name, p.shape);
    const FormulaInit init = p.init.value_or(fan_in > 0 ? FormulaInit::xavier : FormulaInit::zeros);
    CNN_CHECK(fan_in > 0 || (init != FormulaInit::xavier && init != FormulaInit::kaiming),
              "nn::Formula: parameter ", p.name,
              " is not read inside a sum, so it has no fan-in for xavier or kaiming");
    Tensor value = Tensor::empty(p.shape);
    const auto n = static_cast<float>(fan_in);
    switch (init) {
      case FormulaInit::xavier:
        uniform(value, -std::sqrt(3 / n), std::sqrt(3 / n), gen);
        break;
      case FormulaInit::kaiming:
        uniform(value, -std::sqrt(6 / n), std::sqrt(6 / n), gen);
        break;
      case FormulaInit::zeros:
        zeros(value);
        break;
      case FormulaInit::ones:
        ones(value);
        break;
    }
    parameters_[p.name] = register_parameter(p.name, value);
  }
  if (input_.empty()) {
    std::vector<std::string> free;
    for (const std::string& name : inputs) {
      if (!parameters_.contains(name)) free.push_back(name);
    }
    if (free.size() == 1) input_ = free.front();
  } else {
    CNN_CHECK(std::find(inputs.begin(), inputs.end(), input_) != inputs.end(),
              "nn::Formula: input ", input_, " is not read by the formula");
    CNN_CHECK(!parameters_.contains(input_), "nn::Formula: input ", input_, " is also a parameter");
  }
}

Tensor Formula::forward(const Tensor& x) {
  CNN_CHECK(!input_.empty(),
            "nn::Formula: the formula reads several tensors that are not "
            "parameters; call forward with them by name");
  return forward(std::map<std::string, Tensor>{{input_, x}});
}

Tensor Formula::forward(const std::map<std::string, Tensor>& inputs) {
  std::map<std::string, Tensor> all = inputs;
  for (const auto& [name, value] : parameters_) {
    CNN_CHECK(!all.contains(name), "nn::Formula: ", name, " is a parameter and cannot be given");
    all[name] = value;
  }
  return formula_(all);
}

double Formula::multiply_adds(const Shape& input_shape) const {
  CNN_CHECK(!input_.empty(),
            "nn::Formula: the formula reads several tensors that are not "
            "parameters; its multiply-adds need all their shapes");
  std::map<std::string, Shape> shapes = {{input_, input_shape}};
  for (const auto& [name, value] : parameters_) shapes[name] = value.shape();
  return formula_.shapes(shapes).flops / 2;
}

std::string Formula::name() const {
  return "Formula(" + formula_.to_string() + ")";
}

}  // namespace cnn::nn
