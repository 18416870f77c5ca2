#include "cnn/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "core/allocator.h"

namespace cnn {

const char* dtype_name(DType dtype) {
  return dtype == DType::f32 ? "float32" : "int64";
}
size_t dtype_size(DType dtype) {
  return dtype == DType::f32 ? 4 : 8;
}

Storage::Storage(size_t bytes) : bytes_(bytes) {
  data_ = memory::allocate(bytes);
}

Storage::~Storage() {
  memory::release(data_, bytes_);
}

namespace {

std::shared_ptr<TensorImpl> make_impl(const Shape& shape, DType dtype) {
  const int64_t n = checked_numel(shape);
  int64_t bytes = 0;
  CNN_CHECK(!__builtin_mul_overflow(n, static_cast<int64_t>(dtype_size(dtype)), &bytes),
            "tensor of shape ", to_string(shape), " is too large to allocate");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(bytes));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return impl;
}

// Visits every element offset of a strided tensor in row-major order.
template <class F>
void for_each_offset(const Shape& shape, const Shape& strides, int64_t offset, F&& f) {
  const int64_t n = checked_numel(shape);
  if (n == 0) return;
  const size_t rank = shape.size();
  Shape index(rank, 0);
  int64_t off = offset;
  for (int64_t i = 0; i < n; ++i) {
    f(off);
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      index[d] = 0;
    }
  }
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  return Tensor(make_impl(shape, dtype));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.impl_->storage->data(), 0, t.impl_->storage->bytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  std::fill_n(t.data(), t.numel(), value);
  return t;
}

Tensor Tensor::from_data(const Shape& shape, const std::vector<float>& values) {
  Tensor t = empty(shape);
  CNN_CHECK(static_cast<int64_t>(values.size()) == t.numel(), "Tensor::from_data: ", values.size(),
            " values given for shape ", to_string(shape), " (", t.numel(), " elements)");
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

Tensor Tensor::from_data_i64(const Shape& shape, const std::vector<int64_t>& values) {
  Tensor t = empty(shape, DType::i64);
  CNN_CHECK(static_cast<int64_t>(values.size()) == t.numel(),
            "Tensor::from_data_i64: ", values.size(), " values given for shape ", to_string(shape),
            " (", t.numel(), " elements)");
  std::copy(values.begin(), values.end(), t.data_i64());
  return t;
}

Tensor Tensor::uniform(const Shape& shape, float lo, float hi, Generator& gen) {
  Tensor t = empty(shape);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.uniform(lo, hi);
  return t;
}

Tensor Tensor::normal(const Shape& shape, float mean, float stddev, Generator& gen) {
  Tensor t = empty(shape);
  float* p = t.data();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = gen.normal(mean, stddev);
  return t;
}

Tensor Tensor::view_of(std::shared_ptr<Storage> storage, const Shape& shape, const Shape& strides,
                       int64_t offset, DType dtype) {
  CNN_CHECK(storage != nullptr, "Tensor::view_of: no storage");
  CNN_CHECK(shape.size() == strides.size(), "Tensor::view_of: shape ", to_string(shape),
            " and strides ", to_string(strides), " differ in rank");
  const int64_t n = checked_numel(shape);
  const int64_t capacity = static_cast<int64_t>(storage->bytes() / dtype_size(dtype));
  if (n > 0) {
    int64_t lo = offset, hi = offset;
    for (size_t d = 0; d < shape.size(); ++d) {
      const int64_t span = strides[d] * (shape[d] - 1);
      (span < 0 ? lo : hi) += span;
    }
    CNN_CHECK(lo >= 0 && hi < capacity, "Tensor::view_of: shape ", to_string(shape),
              " with strides ", to_string(strides), " and offset ", offset,
              " reaches outside storage of ", capacity, " elements");
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

const TensorImpl& Tensor::checked() const {
  CNN_CHECK(impl_ != nullptr, "use of an undefined tensor");
  return *impl_;
}

const Shape& Tensor::shape() const {
  return checked().shape;
}
const Shape& Tensor::strides() const {
  return checked().strides;
}
int64_t Tensor::offset() const {
  return checked().offset;
}
DType Tensor::dtype() const {
  return checked().dtype;
}
const std::shared_ptr<Storage>& Tensor::storage() const {
  return checked().storage;
}

int64_t Tensor::size(int64_t d) const {
  return shape()[normalize_dim(d, dim(), "Tensor::size")];
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t e : shape()) n *= e;
  return n;
}

bool Tensor::is_contiguous() const {
  const auto& impl = checked();
  int64_t expected = 1;
  for (size_t d = impl.shape.size(); d-- > 0;) {
    if (impl.shape[d] == 1) continue;
    if (impl.strides[d] != expected) return false;
    expected *= impl.shape[d];
  }
  return true;
}

uint64_t Tensor::version() const {
  return checked().storage->version();
}

void Tensor::mark_modified() const {
  checked().storage->bump_version();
}

float* Tensor::data() {
  const auto& impl = checked();
  CNN_CHECK(impl.dtype == DType::f32, "tensor of dtype ", dtype_name(impl.dtype),
            " read as float32");
  return static_cast<float*>(impl.storage->data()) + impl.offset;
}

const float* Tensor::data() const {
  return const_cast<Tensor*>(this)->data();
}

int64_t* Tensor::data_i64() {
  const auto& impl = checked();
  CNN_CHECK(impl.dtype == DType::i64, "tensor of dtype ", dtype_name(impl.dtype), " read as int64");
  return static_cast<int64_t*>(impl.storage->data()) + impl.offset;
}

const int64_t* Tensor::data_i64() const {
  return const_cast<Tensor*>(this)->data_i64();
}

std::vector<float> Tensor::to_vector() const {
  const auto& impl = checked();
  std::vector<float> out;
  out.reserve(static_cast<size_t>(numel()));
  if (impl.dtype == DType::f32) {
    const float* base = static_cast<const float*>(impl.storage->data());
    for_each_offset(impl.shape, impl.strides, impl.offset,
                    [&](int64_t o) { out.push_back(base[o]); });
  } else {
    const int64_t* base = static_cast<const int64_t*>(impl.storage->data());
    for_each_offset(impl.shape, impl.strides, impl.offset,
                    [&](int64_t o) { out.push_back(static_cast<float>(base[o])); });
  }
  return out;
}

std::vector<int64_t> Tensor::to_vector_i64() const {
  const auto& impl = checked();
  CNN_CHECK(impl.dtype == DType::i64, "to_vector_i64 on a tensor of dtype ",
            dtype_name(impl.dtype));
  std::vector<int64_t> out;
  const int64_t* base = static_cast<const int64_t*>(impl.storage->data());
  for_each_offset(impl.shape, impl.strides, impl.offset,
                  [&](int64_t o) { out.push_back(base[o]); });
  return out;
}

float Tensor::item() const {
  CNN_CHECK(numel() == 1, "item() on a tensor of shape ", to_string(shape()),
            "; it needs exactly one element");
  return to_vector()[0];
}

float Tensor::at(const Shape& index) const {
  const auto& impl = checked();
  CNN_CHECK(index.size() == impl.shape.size(), "Tensor::at: index of rank ", index.size(),
            " for a tensor of shape ", to_string(impl.shape));
  int64_t off = impl.offset;
  for (size_t d = 0; d < index.size(); ++d) {
    int64_t i = index[d] < 0 ? index[d] + impl.shape[d] : index[d];
    CNN_CHECK(i >= 0 && i < impl.shape[d], "Tensor::at: index ", to_string(index),
              " is out of range for shape ", to_string(impl.shape));
    off += i * impl.strides[d];
  }
  if (impl.dtype == DType::f32) return static_cast<const float*>(impl.storage->data())[off];
  return static_cast<float>(static_cast<const int64_t*>(impl.storage->data())[off]);
}

// ---- autograd state ----

bool Tensor::requires_grad() const {
  const auto& impl = checked();
  return impl.autograd && (impl.autograd->requires_grad || impl.autograd->grad_fn);
}

Tensor& Tensor::requires_grad_(bool on) {
  auto& impl = const_cast<TensorImpl&>(checked());
  CNN_CHECK(!(impl.autograd && impl.autograd->grad_fn), "requires_grad_ on a non-leaf tensor (",
            impl.autograd ? impl.autograd->grad_fn->name() : "", " output); detach() it first");
  CNN_CHECK(!on || impl.dtype == DType::f32, "only float32 tensors can require gradients");
  if (!impl.autograd) impl.autograd = std::make_unique<AutogradMeta>();
  impl.autograd->requires_grad = on;
  return *this;
}

bool Tensor::is_leaf() const {
  const auto& impl = checked();
  return !(impl.autograd && impl.autograd->grad_fn);
}

const Tensor& Tensor::grad() const {
  static const Tensor kUndefined;
  const auto& impl = checked();
  return impl.autograd ? impl.autograd->grad : kUndefined;
}

void Tensor::set_grad(const Tensor& grad) {
  auto& impl = const_cast<TensorImpl&>(checked());
  if (grad.defined()) {
    CNN_CHECK(grad.shape() == impl.shape, "set_grad: gradient of shape ", to_string(grad.shape()),
              " for a tensor of shape ", to_string(impl.shape));
  }
  if (!impl.autograd) impl.autograd = std::make_unique<AutogradMeta>();
  impl.autograd->grad = grad;
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<autograd::Node> kNone;
  const auto& impl = checked();
  return impl.autograd ? impl.autograd->grad_fn : kNone;
}

int Tensor::output_nr() const {
  const auto& impl = checked();
  return impl.autograd ? impl.autograd->output_nr : 0;
}

void Tensor::set_grad_fn(std::shared_ptr<autograd::Node> node, int nr) {
  auto& impl = const_cast<TensorImpl&>(checked());
  if (!impl.autograd) impl.autograd = std::make_unique<AutogradMeta>();
  impl.autograd->grad_fn = std::move(node);
  impl.autograd->output_nr = nr;
}

Tensor Tensor::detach() const {
  const auto& impl = checked();
  auto out = std::make_shared<TensorImpl>();
  out->storage = impl.storage;
  out->shape = impl.shape;
  out->strides = impl.strides;
  out->offset = impl.offset;
  out->dtype = impl.dtype;
  return Tensor(std::move(out));
}

void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  CNN_CHECK(requires_grad(), "backward() on a tensor that does not require grad");
  Tensor seed = grad;
  if (!seed.defined()) {
    CNN_CHECK(numel() == 1, "backward() without a gradient needs a one-element tensor, not shape ",
              to_string(shape()));
    seed = Tensor::full(shape(), 1.0f);
  }
  CNN_CHECK(seed.shape() == shape(), "backward(): gradient of shape ", to_string(seed.shape()),
            " for a tensor of shape ", to_string(shape()));
  autograd::run_backward({*this}, {seed}, retain_graph);
}

}  // namespace cnn
