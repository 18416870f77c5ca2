// Helpers for tests: random tensors and closeness measures.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cnn/error.h"
#include "cnn/tensor.h"

namespace cnn::testing {

inline Tensor randn(const Shape& shape, uint64_t seed, float scale = 1.0f) {
  Generator gen(seed);
  return Tensor::normal(shape, 0.0f, scale, gen);
}

// max |a - b| / max(max |b|, tiny): the relative error the issues and docs quote.
inline double relative_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(to_string(a.shape()), to_string(b.shape()));
  const auto va = a.to_vector(), vb = b.to_vector();
  if (va.size() != vb.size()) return INFINITY;
  double diff = 0.0, scale = 1e-12;
  for (size_t i = 0; i < va.size(); ++i) {
    const double d = std::abs(static_cast<double>(va[i]) - vb[i]);
    if (std::isnan(d)) return INFINITY;  // (std::max would drop a NaN that comes second)
    diff = std::max(diff, d);
    scale = std::max(scale, std::abs(static_cast<double>(vb[i])));
  }
  return diff / scale;
}

// The message of the cnn::Error that f raises; a test failure (and "") when it raises none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a cnn::Error";
  return "";
}

inline bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector() == b.to_vector();
}

}  // namespace cnn::testing
