#include "kernels/ref/binary_ref.h"

namespace cnn::kernels::ref {
namespace {

// Strides of a dense tensor seen through out_shape: 0 along broadcast dimensions.
Shape broadcast_strides(const Shape& shape, const Shape& out_shape) {
  const size_t rank = out_shape.size(), lead = rank - shape.size();
  Shape strides(rank, 0);
  int64_t stride = 1;
  for (size_t d = rank; d-- > lead;) {
    const int64_t extent = shape[d - lead];
    strides[d] = extent == 1 ? 0 : stride;
    stride *= extent;
  }
  return strides;
}

template <class F>
void run(const float* a, const Shape& as, const float* b, const Shape& bs, float* out,
         const Shape& os, F f) {
  int64_t n = 1;
  for (int64_t e : os) n *= e;
  if (n == 0) return;
  if (as == os && bs == os) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
    return;
  }
  const size_t rank = os.size();
  if (rank == 0) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const Shape sa = broadcast_strides(as, os), sb = broadcast_strides(bs, os);
  const int64_t inner = os[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
  Shape index(rank, 0);
  int64_t oa = 0, ob = 0;
  for (int64_t o = 0; o < n; o += inner) {
    for (int64_t k = 0; k < inner; ++k) out[o + k] = f(a[oa + k * ia], b[ob + k * ib]);
    for (size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < os[d]) {
        oa += sa[d];
        ob += sb[d];
        break;
      }
      oa -= sa[d] * (os[d] - 1);
      ob -= sb[d] * (os[d] - 1);
      index[d] = 0;
    }
  }
}

}  // namespace

void binary_broadcast(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                      const Shape& b_shape, float* out, const Shape& out_shape) {
  switch (op) {
    case BinaryOp::add:
      return run(a, a_shape, b, b_shape, out, out_shape, [](float x, float y) { return x + y; });
    case BinaryOp::sub:
      return run(a, a_shape, b, b_shape, out, out_shape, [](float x, float y) { return x - y; });
    case BinaryOp::mul:
      return run(a, a_shape, b, b_shape, out, out_shape, [](float x, float y) { return x * y; });
    case BinaryOp::div:
      return run(a, a_shape, b, b_shape, out, out_shape, [](float x, float y) { return x / y; });
  }
}

}  // namespace cnn::kernels::ref
