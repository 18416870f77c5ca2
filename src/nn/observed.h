// Inside nn only: whether the module calls on this thread are being observed. The fused
// helpers (fused.cpp) ask, so that models and user blocks built on them never need to: while
// an observer watches, the helpers call every module through operator() as an unfused forward
// would.
#pragma once

namespace cnn::nn::detail {

// Whether a ForwardObserver (ObserveForwards) is installed on this thread.
bool forwards_observed();

}  // namespace cnn::nn::detail
