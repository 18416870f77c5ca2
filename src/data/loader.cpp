#include "cnn/data/loader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <new>
#include <numeric>
#include <optional>
#include <system_error>
#include <thread>

#include "cnn/error.h"

namespace cnn::data {
namespace {

// splitmix64's output function: a bijective mix in which every input bit affects every
// output bit, so nearby (seed, epoch, position) triples give unrelated streams.
uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Distinct tags keep the shuffle stream and the per-example streams apart.
enum class Stream : uint64_t { shuffle = 1, augment = 2 };

uint64_t stream_seed(uint64_t seed, Stream stream, int64_t epoch, int64_t position) {
  uint64_t h = mix(seed ^ mix(static_cast<uint64_t>(stream)));
  h = mix(h ^ static_cast<uint64_t>(epoch));
  return mix(h ^ static_cast<uint64_t>(position));
}

// Fisher-Yates: for i = n-1 down to 1, swap order[i] with order[j], j uniform in [0, i].
std::vector<int64_t> epoch_order(int64_t n, const DataLoaderOptions& o, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (!o.shuffle) return order;
  Generator gen(stream_seed(o.seed, Stream::shuffle, epoch, 0));
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[gen.below(static_cast<uint64_t>(i + 1))]);
  return order;
}

}  // namespace

// Builds the batches of one epoch, on a thread of its own when prefetch > 0.
class Epoch::Producer {
 public:
  Producer(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Transform> transform,
           const DataLoaderOptions& options, int64_t epoch, int64_t start_batch, int64_t batches)
      : dataset_(std::move(dataset)),
        transform_(std::move(transform)),
        options_(options),
        epoch_(epoch),
        batches_(batches),
        next_batch_(start_batch),
        order_(epoch_order(dataset_->size(), options, epoch)),
        threaded_(options.prefetch > 0) {
    if (!threaded_) return;
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
      fail("DataLoader: cannot start the thread that builds batches ahead (prefetch ",
           options.prefetch, "): ", e.what(),
           "; DataLoaderOptions::prefetch = 0 builds them on the calling thread");
    }
  }

  ~Producer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    space_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // The next batch, or nullopt after the last; raises what building a batch raised.
  std::optional<Batch> next() {
    if (!threaded_) {
      if (next_batch_ >= batches_) return std::nullopt;
      return build(next_batch_++);
    }
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return !queue_.empty() || done_; });
    if (!queue_.empty()) {
      Batch batch = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      space_.notify_one();
      return batch;
    }
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return std::nullopt;
  }

  std::optional<Batch> current;  // what the iterator shows
  bool started = false;

 private:
  void run() {
    try {
      for (int64_t b = next_batch_; b < batches_; ++b) {
        std::optional<Batch> batch = build(b);
        std::unique_lock lock(mutex_);
        space_.wait(lock, [this] { return stop_ || std::ssize(queue_) < options_.prefetch; });
        if (stop_ || !batch) break;
        queue_.push_back(std::move(*batch));
        lock.unlock();
        ready_.notify_one();
      }
    } catch (...) {
      std::lock_guard lock(mutex_);
      error_ = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    ready_.notify_one();
  }

  bool stopping() {
    std::lock_guard lock(mutex_);
    return stop_;
  }

  // Batch b holds positions [b B, min((b + 1) B, n)) of the epoch's order. Returns nullopt
  // when asked to stop part way (checked per example, so that stopping is prompt even when
  // decoding a batch takes long).
  std::optional<Batch> build(int64_t b) {
    const int64_t n = dataset_->size(), bs = options_.batch_size;
    const int64_t batch_begin = b * bs, rows = std::min(batch_begin + bs, n) - batch_begin;
    // this shard's slice: sizes rows / shards, the first rows % shards of them one larger
    const int64_t per = rows / options_.shards, extra = rows % options_.shards;
    const int64_t begin = batch_begin + options_.shard * per + std::min(options_.shard, extra);
    const int64_t end = begin + per + (options_.shard < extra ? 1 : 0);
    Batch batch{Tensor(), labels_tensor(b, end - begin), b, rows};
    for (int64_t k = begin; k < end; ++k) {
      if (threaded_ && stopping()) return std::nullopt;
      const int64_t index = order_[static_cast<size_t>(k)];
      try {
        add_example(batch, k - begin, k, index);
      } catch (const Error& e) {
        fail("DataLoader: epoch ", epoch_, ", batch ", b, ", dataset index ", index, ": ",
             e.what());
      } catch (const std::bad_alloc&) {
        fail("DataLoader: epoch ", epoch_, ", batch ", b, ", dataset index ", index,
             ": out of memory for the example or its batch of ", end - begin, " (batch_size ", bs,
             ")");
      }
    }
    return batch;
  }

  Tensor labels_tensor(int64_t b, int64_t count) const {
    try {
      return Tensor::empty({count}, DType::i64);
    } catch (const std::bad_alloc&) {
      fail("DataLoader: epoch ", epoch_, ", batch ", b, ": out of memory for the labels of ", count,
           " examples (batch_size ", options_.batch_size, ")");
    }
  }

  // Fetches example `index`, transforms it with the stream of `position`, and copies it to
  // row `row` of the batch (allocated from the first example's shape).
  void add_example(Batch& batch, int64_t row, int64_t position, int64_t index) const {
    Example ex = dataset_->get(index);
    if (transform_) {
      Generator gen(stream_seed(options_.seed, Stream::augment, epoch_, position));
      transform_->apply(ex.image, gen);
    }
    const Tensor image = ex.image.contiguous();
    CNN_CHECK(image.dtype() == DType::f32 && image.dim() == 3,
              "the example must be float32 [H, W, C], got ", to_string(image.shape()), " ",
              dtype_name(image.dtype()));
    const int64_t classes = static_cast<int64_t>(dataset_->classes().size());
    CNN_CHECK(ex.label >= 0 && ex.label < classes, "label ", ex.label, " is outside [0, ", classes,
              ")");
    if (row == 0) {
      Shape shape = image.shape();
      shape.insert(shape.begin(), batch.y.size(0));
      batch.x = Tensor::empty(shape);
    }
    const Shape expected(batch.x.shape().begin() + 1, batch.x.shape().end());
    CNN_CHECK(image.shape() == expected, "the example has shape ", to_string(image.shape()),
              " but the batch's first example has ", to_string(expected));
    std::memcpy(batch.x.data() + row * image.numel(), image.data(),
                static_cast<size_t>(image.numel()) * sizeof(float));
    batch.y.data_i64()[row] = ex.label;
  }

  const std::shared_ptr<const Dataset> dataset_;
  const std::shared_ptr<const Transform> transform_;
  const DataLoaderOptions options_;
  const int64_t epoch_, batches_;
  int64_t next_batch_;  // without a thread: the next batch to build
  const std::vector<int64_t> order_;
  const bool threaded_;  // prefetch > 0; read by both threads, so not thread_.joinable()

  std::mutex mutex_;
  std::condition_variable ready_;  // the consumer waits for a batch or the end
  std::condition_variable space_;  // the producer waits for room in the queue or a stop
  std::deque<Batch> queue_;
  bool stop_ = false, done_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: started once everything above is initialized
};

Epoch::Epoch(std::unique_ptr<Producer> producer) : producer_(std::move(producer)) {}
Epoch::Epoch(Epoch&&) noexcept = default;
Epoch& Epoch::operator=(Epoch&&) noexcept = default;
Epoch::~Epoch() = default;

Epoch::Iterator Epoch::begin() {
  CNN_CHECK(producer_ != nullptr && !producer_->started,
            "Epoch::begin: an epoch is a single pass; call DataLoader::epoch again to repeat it");
  producer_->started = true;
  producer_->current = producer_->next();
  return Iterator(this);
}

Batch& Epoch::Iterator::operator*() const {
  CNN_CHECK(epoch_->producer_->current.has_value(), "Epoch::Iterator: dereferenced past the end");
  return *epoch_->producer_->current;
}

Epoch::Iterator& Epoch::Iterator::operator++() {
  auto& p = *epoch_->producer_;
  p.current.reset();  // frees the batch before the next one arrives
  p.current = p.next();
  return *this;
}

bool Epoch::Iterator::operator==(End) const {
  return !epoch_->producer_->current.has_value();
}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset,
                       std::shared_ptr<const Transform> transform, const DataLoaderOptions& options)
    : dataset_(std::move(dataset)), transform_(std::move(transform)), options_(options) {
  CNN_CHECK(dataset_ != nullptr, "DataLoader: dataset is null");
  CNN_CHECK(options.batch_size >= 1, "DataLoader: batch_size must be at least 1, got ",
            options.batch_size);
  CNN_CHECK(options.prefetch >= 0, "DataLoader: prefetch must not be negative, got ",
            options.prefetch);
  CNN_CHECK(options.shards >= 1 && options.shard >= 0 && options.shard < options.shards,
            "DataLoader: shard ", options.shard, " of ", options.shards,
            " is not a shard (0 <= shard < shards)");
}

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = dataset_->size(), bs = options_.batch_size;
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

Epoch DataLoader::epoch(int64_t epoch, int64_t start_batch) const {
  const int64_t batches = batches_per_epoch();
  CNN_CHECK(epoch >= 0, "DataLoader::epoch: epoch must not be negative, got ", epoch);
  CNN_CHECK(start_batch >= 0 && start_batch <= batches, "DataLoader::epoch: start_batch ",
            start_batch, " is outside [0, ", batches, "] (", batches, " batches per epoch)");
  try {
    return Epoch(std::make_unique<Epoch::Producer>(dataset_, transform_, options_, epoch,
                                                   start_batch, batches));
  } catch (const std::bad_alloc&) {
    fail("DataLoader::epoch: out of memory for the order of the ", dataset_->size(),
         " examples of epoch ", epoch);
  }
}

}  // namespace cnn::data
