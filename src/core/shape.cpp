#include "cnn/shape.h"

#include <sstream>

#include "cnn/error.h"

namespace cnn {

std::string to_string(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

int64_t checked_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t extent : shape) {
    CNN_CHECK(extent >= 0, "shape ", to_string(shape), " has a negative extent");
    CNN_CHECK(!__builtin_mul_overflow(n, extent, &n), "shape ", to_string(shape),
              " has more elements than fit in a 64-bit count");
  }
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t stride = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    // A shape with a zero extent has no elements, so checked_numel passes it whatever its other
    // extents; their product must still fit, or the strides would overflow (found by fuzzing:
    // an ONNX initializer of dims [268435443, 13507304949336000, 0]).
    CNN_CHECK(i == 0 || !__builtin_mul_overflow(stride, shape[i] > 0 ? shape[i] : 1, &stride),
              "shape ", to_string(shape),
              " has extents whose product does not fit in a 64-bit count (its strides would "
              "overflow)");
  }
  return strides;
}

int64_t normalize_dim(int64_t dim, int64_t rank, const char* op) {
  int64_t d = dim < 0 ? dim + rank : dim;
  CNN_CHECK(d >= 0 && d < rank, op, ": dimension ", dim, " is out of range for a tensor of rank ",
            rank);
  return d;
}

std::ostream& operator<<(std::ostream& out, const Size2& s) {
  return out << '(' << s.h << ", " << s.w << ')';
}

std::ostream& operator<<(std::ostream& out, const Pad2d& p) {
  return out << "(top " << p.top << ", bottom " << p.bottom << ", left " << p.left << ", right "
             << p.right << ')';
}

}  // namespace cnn
