// Argument checks shared by the ops. Each raises cnn::Error naming the op, the argument and
// its shape, e.g. "conv2d: argument 'x' must have rank 4 [batch, rows, cols, channels], got
// shape [3, 5]".
#pragma once

#include "cnn/error.h"
#include "cnn/tensor.h"

namespace cnn::detail {

inline void check_defined(const Tensor& t, const char* op, const char* arg) {
  CNN_CHECK(t.defined(), op, ": argument '", arg, "' is an undefined tensor");
}

inline void check_float(const Tensor& t, const char* op, const char* arg) {
  check_defined(t, op, arg);
  CNN_CHECK(t.dtype() == DType::f32, op, ": argument '", arg, "' must be float32, got ",
            dtype_name(t.dtype()), " of shape ", to_string(t.shape()));
}

// `layout` describes the expected dimensions, e.g. "[batch, rows, cols, channels]".
inline void check_rank(const Tensor& t, int64_t rank, const char* op, const char* arg,
                       const char* layout) {
  check_float(t, op, arg);
  CNN_CHECK(t.dim() == rank, op, ": argument '", arg, "' must have rank ", rank, " ", layout,
            ", got shape ", to_string(t.shape()));
}

}  // namespace cnn::detail
