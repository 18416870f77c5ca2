// Malformed formulas: each error names what is wrong and points at its line and column.
#include <gtest/gtest.h>

#include <string>

#include "cnn/formula.h"
#include "cnn/tensor.h"

namespace cnn {
namespace {

struct Failure {
  std::string message;
  int line = 0, column = 0;
};

template <class F>
Failure failure_of(F&& f) {
  try {
    f();
  } catch (const FormulaError& e) {
    return {e.what(), e.line(), e.column()};
  }
  ADD_FAILURE() << "expected a FormulaError";
  return {};
}

Failure parse_failure(const std::string& text, const FormulaOptions& options = {}) {
  return failure_of([&] { Formula f(text, options); });
}

Failure shape_failure(const std::string& text, const std::map<std::string, Shape>& shapes,
                      const FormulaOptions& options = {}) {
  return failure_of([&] { (void)Formula(text, options).shapes(shapes); });
}

#define EXPECT_FAILURE(failure, col, text)                             \
  do {                                                                 \
    const Failure f_ = (failure);                                      \
    EXPECT_EQ(f_.column, col) << f_.message;                           \
    EXPECT_NE(f_.message.find(text), std::string::npos) << f_.message; \
  } while (0)

TEST(FormulaErrors, UnknownTensorIsNamedWhereFirstRead) {
  const Formula f("Y[b,j] = W[j,i] * L[b,i]");
  const Failure e = failure_of([&] { (void)f({{"L", Tensor::zeros({2, 3})}}); });
  EXPECT_EQ(e.column, 10);
  EXPECT_NE(e.message.find("reads W, which is not given"), std::string::npos) << e.message;
  EXPECT_NE(failure_of([&] {
              (void)f({{"L", Tensor::zeros({2, 3})},
                       {"W", Tensor::zeros({4, 3})},
                       {"Q", Tensor::zeros({1})}});
            }).message.find("Q is given but the formula does not read it"),
            std::string::npos);
}

TEST(FormulaErrors, IndexOnTheLeftMissingFromTheRight) {
  EXPECT_FAILURE(parse_failure("Y[b, x, j] = L[b, j]"), 6, "index x on the left does not appear");
}

TEST(FormulaErrors, NonAffineIndex) {
  EXPECT_FAILURE(parse_failure("Y[x, y] = L[x*y]"), 14, "not affine");
  EXPECT_FAILURE(parse_failure("Y[x] = L[x / y]"), 14, "divided by a constant");
  EXPECT_FAILURE(parse_failure("Y[x] = L[K[x]]"), 10, "cannot read a tensor");
}

TEST(FormulaErrors, ShapeMismatchBetweenUses) {
  EXPECT_FAILURE(shape_failure("Y[b,j] = W[j,i] * L[b,i]", {{"L", {2, 5}}, {"W", {3, 6}}}), 23,
                 "shape mismatch: index i runs over axis 1 of L (extent 5) and axis 1 of W "
                 "(extent 6");
}

TEST(FormulaErrors, DivisionByZero) {
  EXPECT_FAILURE(parse_failure("Y[x] = L[x / 0]"), 14, "division by zero");
  EXPECT_FAILURE(parse_failure("Y[x] = L[x % z]", {.constants = {{"z", 0}}}), 14,
                 "division by zero");
}

TEST(FormulaErrors, ParseErrorsPointAtTheColumn) {
  EXPECT_FAILURE(parse_failure("Y[x = L[x]"), 5, "expected ']'");
  EXPECT_FAILURE(parse_failure("Y[x] = L[x] +"), 14, "expected a value, found the end");
  EXPECT_FAILURE(parse_failure("Y[x] = L[x] $ 2"), 13, "unexpected character '$'");
  EXPECT_FAILURE(parse_failure("Y[x] = foo(L[x])"), 8, "unknown function 'foo'");
  EXPECT_FAILURE(parse_failure("Y[x] = relu(L[x], L[x])"), 23, "relu takes 1 argument");
  EXPECT_FAILURE(parse_failure("Y[x] = L[x] * q"), 15, "unknown name 'q'");
  EXPECT_FAILURE(parse_failure("Y[x] = x * L[x]"), 8, "index x used as a value");
  EXPECT_FAILURE(parse_failure(""), 1, "no statement");
  // The second line's column, and the line number.
  const Failure e = parse_failure("A[x] = L[x]\nY[x] = A[x] * * 2");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 15);
}

TEST(FormulaErrors, RangesThatAreEmptyContradictoryOrUnknowable) {
  EXPECT_FAILURE(parse_failure("Y[x] = L[x] where x < 0"), 23, "the range of x is empty");
  EXPECT_FAILURE(parse_failure("Y[x] = L[x] where x < 3, x < 4"), 26, "contradictory ranges");
  EXPECT_FAILURE(shape_failure("Y[x] = W[dx] * L[x + dx]", {{"L", {2}}, {"W", {3}}}), 18,
                 "index x has an empty range");
  EXPECT_FAILURE(shape_failure("Y[x] = L[x - 1]", {{"L", {5}}}), 10, "give the ranges with where");
  EXPECT_FAILURE(shape_failure("Y[c] = L[c % 2]", {{"L", {4}}}), 3,
                 "cannot infer the range of index c");
}

TEST(FormulaErrors, DimBoundsNameTheirTensorAndAxis) {
  EXPECT_FAILURE(parse_failure("Y[x] = L[x] where x < dim(Q, 0)"), 27, "reads no tensor Q");
  EXPECT_FAILURE(parse_failure("Y[x] = L[dim(L, 0)]"), 10, "can only bound an index");
  EXPECT_FAILURE(parse_failure("Y[x] = L[x] where x < dim(L, x)"), 30, "takes an axis number");
  EXPECT_FAILURE(shape_failure("Y[x] = L[x - 1] where x < dim(L, 3)", {{"L", {5}}}), 27,
                 "dim(L, 3): L has 1 axis");
  // A bound that evaluates to nothing is an empty range, named at its index.
  EXPECT_FAILURE(shape_failure("Y[x] = L[x] where x < dim(L, 0) - 5", {{"L", {5}}}), 3,
                 "the range of x is empty (x < 0)");
  EXPECT_EQ(
      Formula("Y[x] = L[2*x - 1] where x < (dim(L, 0) + 1)/2").shapes({{"L", {7}}}).tensors.at("Y"),
      (Shape{4}));
}

TEST(FormulaErrors, ScopesAndNames) {
  EXPECT_FAILURE(parse_failure("Y[x] = max(d: L[x + d] * sum(e: K[e]))"), 26,
                 "a reduction inside a reduction");
  EXPECT_FAILURE(parse_failure("Y[x] = L[x] * Y[x]"), 15, "read in its own definition");
  EXPECT_FAILURE(parse_failure("A[x] = L[x]; A[x] = L[x]"), 14, "A is defined twice");
  EXPECT_FAILURE(parse_failure("Y[x] = A[x]; A[x] = L[x]"), 14, "read before this statement");
  EXPECT_FAILURE(parse_failure("Y[x, x] = L[x]"), 6, "appears twice on the left");
  EXPECT_FAILURE(parse_failure("sum[x] = L[x]"), 1, "reserved word");
  EXPECT_FAILURE(parse_failure("Y[x] = sum(x: L[x])"), 12, "is on the left and cannot be reduced");
  EXPECT_FAILURE(shape_failure("Y[b,j] = W[j,i] * L[b]", {{"L", {2, 5}}, {"W", {3, 5}}}), 19,
                 "L has 2 axes (shape [2, 5]) but is read with 1 index");
}

}  // namespace
}  // namespace cnn
