/// \file
/// The lecture's linear threshold units and the circuits they compose:
/// ```text
///   P and Q ~ sigma(100 P + 100 Q - 150),  P or Q ~ sigma(100 P + 100 Q - 50),
///   not P ~ sigma(100 (1 - P) - 50),
/// ```
/// on near-boolean values (close to 0 or close to 1), each unit a fully connected layer with one
/// output followed by the sigmoid. Tensors are columns [N, 1]: N rows of a truth table at once.
#pragma once

#include <vector>

#include "cnn/tensor.h"

namespace cnn::lab {

/// sigma(sum_i weights[i] x[:, i] - threshold) for x [N, weights.size()] -> [N, 1]. The lecture
/// subtracts a threshold B; the linear layer's bias is its negative.
Tensor threshold_unit(const Tensor& x, const std::vector<float>& weights, float threshold);

Tensor logic_and(const Tensor& p, const Tensor& q);
Tensor logic_or(const Tensor& p, const Tensor& q);
Tensor logic_not(const Tensor& p);
/// (P or Q) and not (P and Q): four units, three deep.
Tensor logic_xor(const Tensor& p, const Tensor& q);

/// The 2-bit adder (a1 a0) + (b1 b0) = (s2 s1 s0) from the units above: s0 = a0 xor b0, carry
/// c0 = a0 and b0, s1 = (a1 xor b1) xor c0, s2 = (a1 and b1) or (c0 and (a1 xor b1)).
/// Returns [N, 3] with the columns s2, s1, s0.
Tensor adder2(const Tensor& a1, const Tensor& a0, const Tensor& b1, const Tensor& b0);

/// Threshold units used by logic_xor and adder2.
constexpr int kXorUnits = 4;
/// s0: 4, c0: 1, a1 xor b1: 4, s1: 4, s2: 3 (two ands and an or).
constexpr int kAdder2Units = 16;

/// A truth table: every combination of `inputs` bits (row r holds the bits of r, most
/// significant first) and the function's output bits.
struct TruthTable {
  Tensor inputs;   ///< [2^k, k] of 0 and 1
  Tensor targets;  ///< [2^k, m] of 0 and 1
};
TruthTable xor_table();     ///< k = 2, m = 1
TruthTable adder2_table();  ///< inputs a1 a0 b1 b0, targets s2 s1 s0

/// Each column of a table's inputs as its own [N, 1] tensor, moved toward the middle by up to
/// `jitter` (a 1 becomes 1 - u, a 0 becomes u, u uniform on [0, jitter) from `seed`): the
/// lecture's "numbers that are either close to 0 or close to 1".
std::vector<Tensor> near_boolean_columns(const Tensor& inputs, float jitter, uint64_t seed);

}  // namespace cnn::lab
