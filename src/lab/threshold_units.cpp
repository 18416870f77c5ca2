#include "cnn/lab/threshold_units.h"

#include "cnn/error.h"
#include "cnn/generator.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/linear.h"
#include "cnn/ops/shape.h"

namespace cnn::lab {

Tensor threshold_unit(const Tensor& x, const std::vector<float>& weights, float threshold) {
  const auto k = static_cast<int64_t>(weights.size());
  CNN_CHECK(x.dim() == 2 && x.size(1) == k, "lab::threshold_unit: x must be [N, ", k, "] for ", k,
            " weights, got ", to_string(x.shape()));
  const Tensor w = Tensor::from_data({1, k}, weights);
  return sigmoid(linear(x, w, Tensor::from_data({1}, {-threshold})));
}

Tensor logic_and(const Tensor& p, const Tensor& q) {
  return threshold_unit(concat({p, q}, 1), {100, 100}, 150);
}

Tensor logic_or(const Tensor& p, const Tensor& q) {
  return threshold_unit(concat({p, q}, 1), {100, 100}, 50);
}

// sigma(100 (1 - P) - 50) = sigma(-100 P + 50): weight -100, threshold -50.
Tensor logic_not(const Tensor& p) {
  return threshold_unit(p, {-100}, -50);
}

Tensor logic_xor(const Tensor& p, const Tensor& q) {
  return logic_and(logic_or(p, q), logic_not(logic_and(p, q)));
}

Tensor adder2(const Tensor& a1, const Tensor& a0, const Tensor& b1, const Tensor& b0) {
  const Tensor s0 = logic_xor(a0, b0);
  const Tensor c0 = logic_and(a0, b0);
  const Tensor x1 = logic_xor(a1, b1);
  const Tensor s1 = logic_xor(x1, c0);
  const Tensor s2 = logic_or(logic_and(a1, b1), logic_and(c0, x1));
  return concat({s2, s1, s0}, 1);
}

namespace {

TruthTable table(int64_t k, int64_t m, int64_t (*f)(int64_t)) {
  const int64_t rows = int64_t{1} << k;
  std::vector<float> in, out;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t b = k - 1; b >= 0; --b) in.push_back(static_cast<float>((r >> b) & 1));
    const int64_t y = f(r);
    for (int64_t b = m - 1; b >= 0; --b) out.push_back(static_cast<float>((y >> b) & 1));
  }
  return {Tensor::from_data({rows, k}, in), Tensor::from_data({rows, m}, out)};
}

}  // namespace

TruthTable xor_table() {
  return table(2, 1, [](int64_t r) { return (r >> 1) ^ (r & 1); });
}

TruthTable adder2_table() {
  return table(4, 3, [](int64_t r) { return (r >> 2) + (r & 3); });
}

std::vector<Tensor> near_boolean_columns(const Tensor& inputs, float jitter, uint64_t seed) {
  CNN_CHECK(inputs.dim() == 2, "lab::near_boolean_columns: inputs must be [N, k], got ",
            to_string(inputs.shape()));
  Generator gen(seed);
  const int64_t n = inputs.size(0), k = inputs.size(1);
  const std::vector<float> bits = inputs.contiguous().to_vector();
  std::vector<std::vector<float>> columns(static_cast<size_t>(k));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c) {
      const float u = gen.uniform(0.0f, jitter);
      columns[static_cast<size_t>(c)].push_back(bits[static_cast<size_t>(r * k + c)] > 0.5f ? 1 - u
                                                                                            : u);
    }
  std::vector<Tensor> out;
  out.reserve(columns.size());
  for (const auto& col : columns) out.push_back(Tensor::from_data({n, 1}, col));
  return out;
}

}  // namespace cnn::lab
