// The elementwise binary operations of the binary family's kernels.
#pragma once

namespace cnn::kernels {

enum class BinaryOp { add, sub, mul, div };

}  // namespace cnn::kernels
