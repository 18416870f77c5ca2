/// \file
/// nn::Formula: a layer written in the lecture's index notation (cnn/formula.h), holding the
/// parameters the formula names.
///
/// ```text
///   nn::Formula conv("Y[b,x,y,j] = W[dx,dy,i,j] * L[b, x+dx-1, y+dy-1, i] + B[j] where x < 28, y <
///   28",
///                    {.parameters = {{.name = "W", .shape = {3, 3, 16, 32}},
///                                    {.name = "B", .shape = {32}}}},
///                    gen);
///   Tensor y = conv(x);   // x binds L, the one tensor that is not a parameter
/// ```
/// Parameters appear in parameters() and state_dict() under their names in the formula.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cnn/formula.h"
#include "cnn/generator.h"
#include "cnn/nn/module.h"

namespace cnn::nn {

enum class FormulaInit {
  xavier,   ///< the lecture's: uniform on (-sqrt(3/N), sqrt(3/N)), N = Formula::fan_in
  kaiming,  ///< He's for ReLU: uniform on (-sqrt(6/N), sqrt(6/N))
  zeros,
  ones,
};

struct FormulaParameter {
  std::string name;  ///< as the formula writes it
  Shape shape;
  /// Default: xavier for a tensor read inside a sum (a weight), zeros otherwise (a bias).
  std::optional<FormulaInit> init;
};

struct FormulaLayerOptions {
  std::map<std::string, double> constants;
  std::vector<FormulaParameter> parameters;
  /// The tensor forward(x) binds; empty: the one input that is not a parameter.
  std::string input;
};

class Formula : public Module {
 public:
  /// Raises FormulaError for a formula that does not parse, and cnn::Error for a parameter
  /// the formula does not read, a parameter given twice, or an input left ambiguous.
  Formula(const std::string& text, const FormulaLayerOptions& options, Generator& gen);

  /// The formula with x as its input tensor and the parameters bound.
  Tensor forward(const Tensor& x) override;
  /// Several inputs (a residual add, a concatenation) by name; the parameters are bound.
  Tensor forward(const std::map<std::string, Tensor>& inputs);
  std::string name() const override;

  const cnn::Formula& formula() const { return formula_; }
  /// Multiply-adds (FLOPs / 2) of forward(x) for an x of `input_shape`, for cnn summary.
  double multiply_adds(const Shape& input_shape) const;

 private:
  cnn::Formula formula_;
  std::string text_;
  std::string input_;
  std::map<std::string, Tensor> parameters_;
};

}  // namespace cnn::nn
