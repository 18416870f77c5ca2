/// \file
/// The lecture's index notation as a layer language (docs/FORMULAS.md).
///
/// ```text
///   auto conv = cnn::formula("Y[b,x,y,j] = W[dx,dy,i,j] * L[b, s*x+dx, s*y+dy, i] + B[j]",
///                            {.constants = {{"s", 2}}});
///   Tensor y = conv({{"L", x}, {"W", w}, {"B", b}});   // differentiable in every input
/// ```
///
/// A formula is one or more statements `Name[i, j, ...] = expression [where i < N, ...]`,
/// separated by `;` or new lines; each statement's left side names a tensor that later
/// statements may read, and the last one is the result. Indices on the right that are not on
/// the left are summed over (the lecture's convention) in the smallest term that holds every
/// use of them; `sum`, `mean`, `max` and `min` reduce explicitly: `max(dx, dy: L[...])`.
///
/// Indices read tensors through integer-affine expressions (`s*x + dx`, `x - 1`, `c*g + i`),
/// with `/` (floor division) and `%` by positive constants. An index's range is the extent of
/// the axis it indexes alone, or the one given by `where x < 28`, or else the largest for which
/// every read stays inside its tensor. Where ranges are given, a read outside its tensor is
/// absent: it contributes nothing to the sum or reduction it is in (zero for sums, skipped by
/// max), which is the lecture's zero padding.
///
/// Gradients are derived per input by transposing each read's index map (`y = s*x + dx` gives
/// `x = (y - dx) / s` where the division is exact), never by building a Jacobian;
/// Formula::gradients prints them in the same notation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cnn/error.h"
#include "cnn/shape.h"
#include "cnn/tensor.h"

namespace cnn {

/// A formula that cannot be parsed or does not fit the shapes given; line and column (from 1)
/// point at the offending text, and what() quotes it.
class FormulaError : public Error {
 public:
  FormulaError(const std::string& message, int line, int column)
      : Error(message), line_(line), column_(column) {}
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  int line_;
  int column_;
};

struct FormulaOptions {
  /// Named integer or real constants the text uses: strides, group sizes, epsilons.
  std::map<std::string, double> constants;
  /// Run statements recognized as a built-in op (convolution, fully connected, pooling) on
  /// that op's kernels; false runs every statement on the general loop nest.
  bool lower = true;
};

namespace formulas {
struct Program;
struct Plan;
}  // namespace formulas

/// What a formula computes for given input shapes.
struct FormulaShapes {
  std::map<std::string, Shape> tensors;         ///< every statement's result, the output too
  std::map<std::string, int64_t> index_ranges;  ///< "stmt.index" -> its range
  double flops = 0;                             ///< forward, counting a multiply-add as 2
};

class Formula {
 public:
  Formula(std::string_view text, const FormulaOptions& options = {});

  /// The tensors the formula reads and does not define, in order of first use.
  const std::vector<std::string>& inputs() const;
  /// The rank each input is read with (its first read; the analysis checks every other).
  std::map<std::string, int64_t> input_ranks() const;
  /// The last statement's left side.
  const std::string& output() const;
  /// The formula as parsed, implicit sums made explicit.
  std::string to_string() const;

  FormulaShapes shapes(const std::map<std::string, Shape>& input_shapes) const;
  /// Per statement, the built-in op it runs on ("conv2d(stride 2x2) + bias, relu"), or
  /// "contraction loop nest" for the general loop nest's register-blocked path (a sum of
  /// products of two reads, docs/FORMULAS.md), or "" for the general loop nest.
  std::vector<std::string> kernels(const std::map<std::string, Shape>& input_shapes) const;
  /// The derived gradient formulas, one per input (and per statement), in the same notation.
  std::string gradients(const std::map<std::string, Shape>& input_shapes) const;
  /// Per line of gradients(), what runs it: "the backward of <kernel>" where the statement is
  /// lowered to a built-in op (whose own backward then runs instead), "contraction loop nest",
  /// or "" for the general loop nest.
  std::vector<std::string> gradient_kernels(const std::map<std::string, Shape>& input_shapes) const;

  /// The number of terms each output sums over reads of `tensor`, from its own shape: the
  /// extents of its axes indexed by an index the enclosing sum runs over (the lecture's N of
  /// Xavier's initialization: 3*3*16 for W[dx, dy, i, j] of a 3x3 convolution over 16
  /// channels). 0 where it is not read inside a sum or mean.
  int64_t fan_in(const std::string& tensor, const Shape& shape) const;

  /// Runs the formula; the result is differentiable in every input that requires grad.
  Tensor operator()(const std::map<std::string, Tensor>& inputs) const;
  /// Every statement's result by name (the last as operator() returns it). Where a kernel
  /// computes several statements (batch norm's mean and variance), their results carry no
  /// gradient.
  std::map<std::string, Tensor> evaluate_all(const std::map<std::string, Tensor>& inputs) const;

 private:
  std::vector<Tensor> run_statements(const std::map<std::string, Tensor>& inputs) const;

  std::shared_ptr<const formulas::Program> program_;
  std::shared_ptr<formulas::Plan> plans_;  // analyzed statements, cached per input shapes
  std::vector<std::string> input_names_;
};

inline Formula formula(std::string_view text, const FormulaOptions& options = {}) {
  return Formula(text, options);
}

}  // namespace cnn
