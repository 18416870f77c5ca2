#include "onnx/value.h"

#include <numeric>

#include "cnn/error.h"

namespace cnn::onnx {

Perm identity_perm(int64_t rank) {
  Perm p(static_cast<size_t>(rank));
  std::iota(p.begin(), p.end(), 0);
  return p;
}

bool is_identity(const Perm& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

Perm inverse_perm(const Perm& perm) {
  Perm inv(perm.size());
  for (size_t k = 0; k < perm.size(); ++k)
    inv[static_cast<size_t>(perm[k])] = static_cast<int64_t>(k);
  return inv;
}

Perm channels_last_perm(int64_t rank) {
  if (rank < 3) return identity_perm(rank);
  Perm p{0};
  for (int64_t d = 2; d < rank; ++d) p.push_back(d);
  p.push_back(1);
  return p;
}

Shape Value::logical_shape() const {
  const Shape& s = data.shape();
  if (perm.empty()) return s;
  Shape out(s.size());
  for (size_t k = 0; k < perm.size(); ++k) out[static_cast<size_t>(perm[k])] = s[k];
  return out;
}

int64_t Value::stored_axis(int64_t axis) const {
  if (perm.empty()) return axis;
  for (size_t k = 0; k < perm.size(); ++k)
    if (perm[k] == axis) return static_cast<int64_t>(k);
  fail("onnx: axis ", axis, " outside a value of rank ", perm.size());
}

Tensor stored_as(const Value& v, const Perm& perm) {
  const bool from_identity = v.perm.empty() || is_identity(v.perm);
  const bool to_identity = perm.empty() || is_identity(perm);
  if (from_identity && to_identity) return v.data;
  const int64_t rank = v.data.dim();
  CNN_CHECK(to_identity || static_cast<int64_t>(perm.size()) == rank, "onnx: a value of rank ",
            rank, " cannot take a layout of rank ", perm.size());
  if (!from_identity && !to_identity && v.perm == perm) return v.data;
  // stored dim k of the result is logical dim target[k], held in v.data at inv[target[k]]
  const Perm target = to_identity ? identity_perm(rank) : perm;
  const Perm inv = from_identity ? identity_perm(rank) : inverse_perm(v.perm);
  Shape order(static_cast<size_t>(rank));
  for (size_t k = 0; k < order.size(); ++k) order[k] = inv[static_cast<size_t>(target[k])];
  return v.data.permute(order).contiguous();
}

}  // namespace cnn::onnx
