/// \file
/// Tensor: a strided view of reference-counted, 64-byte aligned storage, with an optional
/// autograd record. One type for data, parameters and gradients (no separate Variable).
///
/// Views (reshape, permute, slice, transpose) share storage with their source; they are
/// differentiable, as are contiguous() and clone(). Kernels read contiguous data only: an op
/// calls contiguous() on its inputs, which copies only when the input is not already dense.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "cnn/generator.h"
#include "cnn/shape.h"

namespace cnn {

enum class DType { f32, i64 };
enum class Device { cpu };

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

/// A block of memory owned by one or more tensors.
class Storage {
 public:
  explicit Storage(size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  /// A counter of in-place changes, PyTorch's tensor._version: cnn's own code that changes
  /// existing data in place bumps it (optimizer steps, load_state_dict, the initializers of
  /// nn/init.h, batch norm's running statistics), so that whoever keeps something derived from
  /// the data (a prepared model's packed weights, cnn/prepare.h) can tell that it changed. Writes
  /// through a raw data() pointer are not seen: call Tensor::mark_modified() after them.
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  std::atomic<uint64_t> version_{0};
};

namespace autograd {
class Node;
}
class Tensor;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation ----
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor ones(const Shape& shape) { return full(shape, 1.0f); }
  static Tensor full(const Shape& shape, float value);
  static Tensor scalar(float value) { return full({}, value); }
  /// Copies `values` (row-major); their count must equal the shape's element count.
  static Tensor from_data(const Shape& shape, const std::vector<float>& values);
  static Tensor from_data_i64(const Shape& shape, const std::vector<int64_t>& values);
  static Tensor uniform(const Shape& shape, float lo, float hi, Generator& gen);
  static Tensor normal(const Shape& shape, float mean, float stddev, Generator& gen);
  /// A view of existing storage. Checks that every reachable element lies inside it.
  static Tensor view_of(std::shared_ptr<Storage> storage, const Shape& shape, const Shape& strides,
                        int64_t offset, DType dtype);

  // ---- description ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t offset() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  /// Extent of dimension d; negative d counts from the end.
  int64_t size(int64_t d) const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const { return Device::cpu; }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const;

  // ---- element access (checks the dtype) ----
  float* data();
  const float* data() const;
  int64_t* data_i64();
  const int64_t* data_i64() const;
  /// Row-major copy of the elements as float (i64 values are converted).
  std::vector<float> to_vector() const;
  std::vector<int64_t> to_vector_i64() const;
  /// The single element of a one-element tensor.
  float item() const;
  /// The storage's version (Storage::version) and its bump, for code that wrote the data in place
  /// through data(); mark_modified() changes no element and no metadata, so it is const.
  uint64_t version() const;
  void mark_modified() const;
  /// One element by index (negative indices count from the end); for tests and inspection.
  float at(const Shape& index) const;

  // ---- differentiable views and copies (defined in src/ops/view.cpp) ----
  Tensor reshape(const Shape& requested) const;  ///< one extent may be -1
  Tensor flatten(int64_t start_dim = 1, int64_t end_dim = -1) const;
  Tensor permute(const Shape& dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor contiguous() const;
  Tensor clone() const;

  // ---- autograd ----
  bool requires_grad() const;
  /// Marks a leaf tensor as one whose gradient backward() should compute.
  Tensor& requires_grad_(bool on = true);
  bool is_leaf() const;
  /// The accumulated gradient of a leaf (undefined until a backward pass reaches it).
  const Tensor& grad() const;
  void set_grad(const Tensor& grad);
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  int output_nr() const;
  void set_grad_fn(std::shared_ptr<autograd::Node> node, int output_nr);
  /// Same storage, no graph record: the result is a leaf that does not require grad.
  Tensor detach() const;
  /// Back-propagates from this tensor. `grad` defaults to 1 for a one-element tensor.
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;

  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  /// True when both tensors are the same object (not merely equal values).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  const TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
  int output_nr = 0;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  int64_t offset = 0;
  DType dtype = DType::f32;
  std::unique_ptr<AutogradMeta> autograd;
};

}  // namespace cnn
