#include "cnn/parallel.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "cnn/error.h"

namespace cnn {
namespace {

thread_local bool t_inside_pool = false;

int default_threads() {
  if (const char* env = std::getenv("CNN_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// A fixed set of workers woken per job; the caller runs the first range itself.
class ThreadPool {
 public:
  explicit ThreadPool(int threads) { resize(threads); }
  ~ThreadPool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    stop();
    stopping_ = false;
    // New workers start from the current generation: the jobs run before the resize are done.
    for (int i = 1; i < threads; ++i)
      workers_.emplace_back([this, i, seen = generation_] { work(i, seen); });
  }

  void run(int parts, const std::function<void(int)>& task) {
    std::unique_lock lock(mutex_);
    task_ = &task;
    parts_ = parts;
    pending_ = parts - 1;
    error_ = nullptr;
    ++generation_;
    lock.unlock();
    wake_.notify_all();
    run_part(0);
    lock.lock();
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void run_part(int part) {
    const bool was_inside = t_inside_pool;
    t_inside_pool = true;
    try {
      (*task_)(part);
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    t_inside_pool = was_inside;
  }

  void work(int index, uint64_t seen) {
    for (;;) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      const bool has_part = index < parts_;
      lock.unlock();
      if (has_part) {
        run_part(index);
        lock.lock();
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* task_ = nullptr;
  int parts_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

std::mutex g_pool_mutex;  // serializes jobs from different user threads

ThreadPool& pool() {
  static ThreadPool instance(default_threads());
  return instance;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  CNN_CHECK(n >= 1, "set_num_threads: thread count must be at least 1, got ", n);
  std::lock_guard lock(g_pool_mutex);
  if (n != pool().size()) pool().resize(n);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t chunks = (n + grain - 1) / grain;
  if (t_inside_pool || chunks <= 1 || num_threads() == 1) {
    fn(0, n);
    return;
  }
  const int parts = static_cast<int>(std::min<int64_t>(num_threads(), chunks));
  // Ranges are whole multiples of `grain`, split as evenly as possible.
  auto bound = [&](int part) { return std::min(n, chunks * part / parts * grain); };
  std::lock_guard lock(g_pool_mutex);
  pool().run(parts, [&](int part) {
    const int64_t b = bound(part), e = bound(part + 1);
    if (b < e) fn(b, e);
  });
}

}  // namespace cnn
