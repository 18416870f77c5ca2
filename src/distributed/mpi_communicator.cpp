// Communicator over MPI_COMM_WORLD.
//
// Every MPI call after initialization runs on one thread of the communicator's own, which takes
// collectives from a queue in the order they were issued: the training thread starts a
// bucket's all-reduce and goes on with the backward pass while that thread sums it (the
// overlap), and blocking collectives wait their turn behind the started ones, so the order of
// collectives is the program's order on every rank. A watchdog thread ends the job (MPI_Abort)
// when one collective has waited longer than the timeout, naming the rank, the collective and
// what the rank was doing: a rank that died is noticed by mpirun at once, one that hangs (a
// stopped process, a lost host) by the others' watchdogs.
#include "distributed/mpi_communicator.h"

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "cnn/error.h"

namespace cnn::distributed::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Raises cnn::Error for an MPI error code (MPI_ERRORS_RETURN is set on the communicator).
void check_mpi(int code, const char* call, const std::string& what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  fail(call, " failed during ", what, ": ", std::string(text, static_cast<size_t>(length)));
}

// MPI counts are int: longer buffers go in pieces of at most this many elements.
constexpr int64_t kMaxCount = INT_MAX / 2;

class Mpi final : public Communicator {
 public:
  explicit Mpi(const InitOptions& options) : timeout_(options.timeout_seconds) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    CNN_CHECK(initialized == 0, "MPI was initialized already, outside cnn");
    int provided = MPI_THREAD_SINGLE;
    const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
    CNN_CHECK(code == MPI_SUCCESS, "MPI_Init_thread failed with code ", code);
    CNN_CHECK(provided >= MPI_THREAD_SERIALIZED, "the MPI library offers thread level ", provided,
              ", and cnn's communication thread needs MPI_THREAD_SERIALIZED (",
              MPI_THREAD_SERIALIZED, ") or more");
    multiple_ = provided == MPI_THREAD_MULTIPLE;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local = MPI_COMM_NULL;
    check_mpi(
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
        "MPI_Comm_split_type", "finding the ranks of this machine");
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_size(local, &local_size_);
    MPI_Comm_free(&local);
    char name[MPI_MAX_PROCESSOR_NAME];
    int length = 0;
    MPI_Get_processor_name(name, &length);
    host_.assign(name, static_cast<size_t>(length));
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    MPI_Get_library_version(version, &length);
    library_.assign(version, static_cast<size_t>(length));
    if (const size_t comma = library_.find(','); comma != std::string::npos) library_.resize(comma);
    worker_ = std::thread([this] { work(); });
    if (timeout_ > 0.0) watchdog_ = std::thread([this] { watch(); });
  }

  ~Mpi() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (watchdog_.joinable()) watchdog_.join();
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_size() const override { return local_size_; }
  int local_rank() const override { return local_rank_; }
  std::string description() const override {
    return "MPI (" + library_ + "), " + std::to_string(size_) + " ranks";
  }

  void all_reduce_sum(std::span<float> data, const char* what) override {
    start_all_reduce_sum(data, what)->wait();
  }
  void all_reduce_sum(std::span<double> data, const char* what) override {
    submit(what, [data, what] {
      for (size_t at = 0; at < data.size(); at += kMaxCount) {
        const int n = static_cast<int>(std::min<size_t>(kMaxCount, data.size() - at));
        check_mpi(
            MPI_Allreduce(MPI_IN_PLACE, data.data() + at, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce", what);
      }
    }).get();
  }
  void all_gather(std::span<const double> mine, std::span<double> all, const char* what) override {
    CNN_CHECK(all.size() == mine.size() * static_cast<size_t>(size_) && mine.size() <= kMaxCount,
              "all_gather (", what, "): ", all.size(), " values for ", size_, " ranks of ",
              mine.size());
    submit(what, [mine, all, what] {
      const int n = static_cast<int>(mine.size());
      check_mpi(
          MPI_Allgather(mine.data(), n, MPI_DOUBLE, all.data(), n, MPI_DOUBLE, MPI_COMM_WORLD),
          "MPI_Allgather", what);
    }).get();
  }
  void broadcast(std::span<std::byte> data, int root, const char* what) override {
    CNN_CHECK(root >= 0 && root < size_, "broadcast (", what, "): root ", root,
              " outside the group of ", size_);
    submit(what, [data, root, what] {
      for (size_t at = 0; at < data.size(); at += kMaxCount) {
        const int n = static_cast<int>(std::min<size_t>(kMaxCount, data.size() - at));
        check_mpi(MPI_Bcast(data.data() + at, n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast",
                  what);
      }
    }).get();
  }

  std::unique_ptr<Pending> start_all_reduce_sum(std::span<float> data, std::string what) override {
    struct Started final : Pending {
      std::future<void> done;
      void wait() override {
        if (done.valid()) done.get();
      }
    };
    auto started = std::make_unique<Started>();
    started->done = submit(what, [data, what] {
      for (size_t at = 0; at < data.size(); at += kMaxCount) {
        const int n = static_cast<int>(std::min<size_t>(kMaxCount, data.size() - at));
        check_mpi(
            MPI_Allreduce(MPI_IN_PLACE, data.data() + at, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce", what);
      }
    });
    return started;
  }

  void set_activity(const std::string& activity) override {
    std::lock_guard lock(mutex_);
    activity_ = activity;
  }

  [[noreturn]] void abort(const std::string& message) override {
    std::fprintf(stderr, "cnn: rank %d of %d (%s): %s\n", rank_, size_, host_.c_str(),
                 message.c_str());
    std::fflush(stderr);
    // MPI_Abort from a second thread while the communication thread is inside MPI needs
    // MPI_THREAD_MULTIPLE; without it, ending the process makes mpirun end the job.
    if (multiple_) MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);
  }

 private:
  struct Job {
    std::string what;
    std::function<void()> run;
    std::promise<void> done;
  };

  std::future<void> submit(std::string what, std::function<void()> run) {
    auto job = std::make_shared<Job>();
    job->what = std::move(what);
    job->run = std::move(run);
    std::future<void> done = job->done.get_future();
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(job));
    }
    wake_.notify_all();
    return done;
  }

  void work() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
        current_ = job->what;
        started_ = Clock::now();
        busy_ = true;
      }
      try {
        job->run();
        finish();
        job->done.set_value();
      } catch (...) {
        finish();
        job->done.set_exception(std::current_exception());
      }
    }
  }

  void finish() {
    std::lock_guard lock(mutex_);
    busy_ = false;
  }

  void watch() {
    const auto period = std::chrono::milliseconds(
        std::clamp<int64_t>(static_cast<int64_t>(timeout_ * 100.0), 10, 1000));
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, period);
      if (!busy_) continue;
      const double waited = std::chrono::duration<double>(Clock::now() - started_).count();
      if (waited < timeout_) continue;
      const std::string message =
          "the collective '" + current_ + "' has waited " + std::to_string(waited).substr(0, 5) +
          " s for the other ranks (--timeout " + std::to_string(timeout_).substr(0, 5) +
          " s) while this rank was at " + (activity_.empty() ? "its start" : activity_) +
          ": another rank has died, hangs or is far behind; ending the job";
      lock.unlock();
      abort(message);
    }
  }

  const double timeout_;
  bool multiple_ = false;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  std::string host_, library_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stop_ = false, busy_ = false;
  std::string current_, activity_;
  Clock::time_point started_;
  std::thread worker_, watchdog_;
};

}  // namespace

std::shared_ptr<Communicator> mpi_communicator(const InitOptions& options) {
  // MPI can be initialized once per process: the first communicator lives until exit.
  static std::mutex mutex;
  static std::shared_ptr<Communicator> world;
  std::lock_guard lock(mutex);
  if (!world) world = std::make_shared<Mpi>(options);
  return world;
}

}  // namespace cnn::distributed::detail
