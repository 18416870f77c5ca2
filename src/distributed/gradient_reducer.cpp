// GradientReducer: gradients summed over ranks in buckets, each started during the backward
// pass as soon as its gradients are final.
//
// The engine calls the leaf-gradient hook each time it adds into a parameter's grad(); a
// parameter used k times in the graph gets k calls. The first backward learns k for each
// parameter and starts every bucket after the pass (nothing overlaps); later ones start a bucket
// when each of its parameters has had its k calls and every earlier bucket has started. The
// order of buckets is fixed, so every rank issues the same all-reduces in the same order,
// whatever the timing.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "cnn/autograd.h"
#include "cnn/distributed.h"
#include "cnn/error.h"

namespace cnn::distributed {

struct GradientReducer::State {
  struct Slot {
    Tensor param;
    size_t bucket = 0;
    int64_t offset = 0;  // in the bucket, in floats
    int expected = 0;    // hook calls per backward (learned by the first one)
    int seen = 0;
  };
  struct Bucket {
    std::vector<size_t> slots;
    std::vector<float> data;
    int waiting = 0;  // parameters not yet final in this backward
    std::unique_ptr<Pending> pending;
  };

  std::shared_ptr<Communicator> comm;
  std::vector<Slot> slots;
  std::vector<Bucket> buckets;
  std::unordered_map<const void*, size_t> slot_of;  // TensorImpl -> slot
  size_t next_bucket = 0;                           // the next one to start
  bool learned = false;

  // Copies the bucket's gradients into its buffer and starts its sum.
  void start(size_t b) {
    Bucket& bucket = buckets[b];
    for (size_t s : bucket.slots) {
      const Slot& slot = slots[s];
      float* to = bucket.data.data() + slot.offset;
      const Tensor& g = slot.param.grad();
      if (g.defined()) {
        const Tensor gc = g.contiguous();
        std::memcpy(to, gc.data(), static_cast<size_t>(gc.numel()) * sizeof(float));
      } else {
        std::fill(to, to + slot.param.numel(), 0.0f);  // unused in this step: a zero gradient
      }
    }
    bucket.pending = comm->start_all_reduce_sum(bucket.data, "the gradients' all-reduce, bucket " +
                                                                 std::to_string(b + 1) + " of " +
                                                                 std::to_string(buckets.size()));
  }

  void start_ready() {
    while (next_bucket < buckets.size() && buckets[next_bucket].waiting == 0) start(next_bucket++);
  }

  void on_gradient(const Tensor& leaf) {
    const auto it = slot_of.find(leaf.impl().get());
    if (it == slot_of.end()) return;  // not one of ours
    Slot& slot = slots[it->second];
    ++slot.seen;
    if (!learned) return;
    CNN_CHECK(slot.seen <= slot.expected, "GradientReducer: a parameter of shape ",
              to_string(slot.param.shape()), " received ", slot.seen,
              " gradients in this backward pass, more than the ", slot.expected,
              " of the first one, after its bucket was started; the graph must use each "
              "parameter the same number of times in every step");
    if (slot.seen == slot.expected && --buckets[slot.bucket].waiting == 0) start_ready();
  }

  void reset_counts() {
    next_bucket = 0;
    for (Slot& s : slots) s.seen = 0;
    for (Bucket& b : buckets) {
      b.waiting = 0;
      for (size_t s : b.slots) b.waiting += slots[s].expected > 0 ? 1 : 0;
    }
  }
};

GradientReducer::GradientReducer(std::vector<Tensor> params, std::shared_ptr<Communicator> comm,
                                 const ReducerOptions& options)
    : state_(std::make_unique<State>()) {
  CNN_CHECK(comm != nullptr, "GradientReducer: the communicator is null");
  CNN_CHECK(options.bucket_bytes >= 1, "GradientReducer: bucket_bytes must be at least 1, got ",
            options.bucket_bytes);
  State& s = *state_;
  s.comm = std::move(comm);
  // Reverse order: backward produces the last layers' gradients first.
  std::reverse(params.begin(), params.end());
  int64_t filled = 0;
  for (Tensor& p : params) {
    CNN_CHECK(p.defined() && p.dtype() == DType::f32,
              "GradientReducer: parameters must be float32");
    if (s.slot_of.count(p.impl().get()) != 0) continue;  // listed twice
    const int64_t bytes = p.numel() * static_cast<int64_t>(sizeof(float));
    if (s.buckets.empty() || (filled > 0 && filled + bytes > options.bucket_bytes)) {
      s.buckets.emplace_back();
      filled = 0;
    }
    State::Bucket& bucket = s.buckets.back();
    s.slot_of[p.impl().get()] = s.slots.size();
    bucket.slots.push_back(s.slots.size());
    s.slots.push_back({p, s.buckets.size() - 1, static_cast<int64_t>(bucket.data.size())});
    bucket.data.resize(bucket.data.size() + static_cast<size_t>(p.numel()));
    filled += bytes;
  }
}

GradientReducer::~GradientReducer() {
  // Collectives started by a backward that raised are finished before their buffers go.
  for (State::Bucket& b : state_->buckets) {
    try {
      if (b.pending) b.pending->wait();
    } catch (...) {  // NOLINT(bugprone-empty-catch): the job ends on the error already raised
    }
  }
}

void GradientReducer::backward(const Tensor& loss, double weight) {
  State& s = *state_;
  s.reset_counts();
  if (loss.defined()) {
    const autograd::LeafGradientHook hook = [&s](const Tensor& leaf) { s.on_gradient(leaf); };
    autograd::LeafGradientHookGuard guard(&hook);
    loss.backward(Tensor::full(loss.shape(), static_cast<float>(weight)));
  }
  if (!s.learned) {
    // The first pass: what each parameter received is what every later one must.
    for (State::Slot& slot : s.slots) slot.expected = slot.seen;
    s.learned = true;
  }
  // The rest (all of them after the first pass, or a rank without rows), in order.
  while (s.next_bucket < s.buckets.size()) s.start(s.next_bucket++);
  for (State::Bucket& b : s.buckets) {
    std::unique_ptr<Pending> pending = std::move(b.pending);
    pending->wait();
  }
  for (State::Slot& slot : s.slots) {
    const float* from = s.buckets[slot.bucket].data.data() + slot.offset;
    Tensor g = Tensor::empty(slot.param.shape());
    std::memcpy(g.data(), from, static_cast<size_t>(g.numel()) * sizeof(float));
    slot.param.set_grad(g);
  }
}

int64_t GradientReducer::buckets() const {
  return static_cast<int64_t>(state_->buckets.size());
}

std::vector<int64_t> GradientReducer::bucket_bytes() const {
  std::vector<int64_t> out;
  for (const State::Bucket& b : state_->buckets)
    out.push_back(static_cast<int64_t>(b.data.size() * sizeof(float)));
  return out;
}

}  // namespace cnn::distributed
