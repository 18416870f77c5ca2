// DataLoader: coverage and order of each epoch, determinism (same seed, resumption at a batch,
// thread or no thread), drop_last, prompt shutdown, and errors raised in the producer thread.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <numeric>
#include <optional>
#include <set>
#include <thread>

#include "cnn/data/image.h"
#include "cnn/data/image_folder.h"
#include "cnn/data/loader.h"
#include "support/sanitizers.h"
#include "support/tensor_testing.h"

namespace cnn::data {
namespace {

using cnn::testing::bit_identical;
using cnn::testing::error_of;
using namespace std::chrono_literals;

// Example i is a 3 x 4 x 1 image filled with i, labelled i % 3. Optionally slow, or failing
// at one index.
class CountingDataset : public Dataset {
 public:
  explicit CountingDataset(int64_t n, std::chrono::microseconds delay = 0us, int64_t fail_at = -1)
      : n_(n), delay_(delay), fail_at_(fail_at) {}
  int64_t size() const override { return n_; }
  Example get(int64_t i) const override {
    if (delay_ > 0us) std::this_thread::sleep_for(delay_);
    CNN_CHECK(i != fail_at_, "example ", i, " is broken");
    return {Tensor::full({3, 4, 1}, static_cast<float>(i)), i % 3};
  }
  const std::vector<std::string>& classes() const override { return classes_; }
  Shape example_shape() const override { return {3, 4, 1}; }

 private:
  int64_t n_;
  std::chrono::microseconds delay_;
  int64_t fail_at_;
  std::vector<std::string> classes_ = {"a", "b", "c"};
};

std::vector<Batch> collect(Epoch epoch) {
  std::vector<Batch> out;
  for (Batch& b : epoch) out.push_back(b);
  return out;
}

// The example ids of an epoch, in order (each image holds its id).
std::vector<int64_t> order_of(const std::vector<Batch>& batches) {
  std::vector<int64_t> ids;
  for (const Batch& b : batches)
    for (int64_t k = 0; k < b.x.size(0); ++k)
      ids.push_back(static_cast<int64_t>(b.x.at({k, 0, 0, 0})));
  return ids;
}

// Runs f on another thread and reports whether it finished within `limit`. On a hang the
// future is leaked on purpose: destroying it would block the test on the hung call.
template <class F>
bool finishes_within(std::chrono::milliseconds limit, F f) {
  auto done = std::make_unique<std::future<void>>(std::async(std::launch::async, f));
  if (done->wait_for(limit) == std::future_status::ready) return true;
  done.release();
  return false;
}

std::shared_ptr<const Transform> augmentation() {
  return std::make_shared<Compose>(std::vector<std::shared_ptr<const Transform>>{
      std::make_shared<RandomCrop>(Size2{3, 4}, 1), std::make_shared<RandomHorizontalFlip>(),
      std::make_shared<RandomErasing>(RandomErasingOptions{.p = 0.7f})});
}

TEST(DataLoaderTest, EveryExampleOncePerEpochWithItsLabel) {
  DataLoader loader(std::make_shared<CountingDataset>(10), nullptr,
                    {.batch_size = 3, .shuffle = true});
  EXPECT_EQ(loader.batches_per_epoch(), 4);
  const std::vector<Batch> batches = collect(loader.epoch(0));
  ASSERT_EQ(batches.size(), 4u);
  for (size_t b = 0; b < 4; ++b) {
    EXPECT_EQ(batches[b].index, static_cast<int64_t>(b));
    EXPECT_EQ(batches[b].x.shape(), (Shape{b < 3 ? 3 : 1, 3, 4, 1}));
    const std::vector<int64_t> labels = batches[b].y.to_vector_i64();
    for (int64_t k = 0; k < batches[b].x.size(0); ++k)
      EXPECT_EQ(labels[k], static_cast<int64_t>(batches[b].x.at({k, 2, 3, 0})) % 3);
  }
  std::vector<int64_t> ids = order_of(batches);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(DataLoaderTest, ShuffleDependsOnSeedAndEpochOnly) {
  const auto data = std::make_shared<CountingDataset>(50);
  const DataLoader a(data, nullptr, {.batch_size = 8, .shuffle = true, .seed = 7});
  const DataLoader b(data, nullptr, {.batch_size = 8, .shuffle = true, .seed = 7});
  const DataLoader c(data, nullptr, {.batch_size = 8, .shuffle = true, .seed = 8});
  const std::vector<int64_t> a0 = order_of(collect(a.epoch(0))), a1 = order_of(collect(a.epoch(1)));
  EXPECT_NE(a0, a1);
  EXPECT_EQ(order_of(collect(b.epoch(1))), a1);
  EXPECT_EQ(order_of(collect(b.epoch(0))), a0);
  EXPECT_NE(order_of(collect(c.epoch(0))), a0);
  std::vector<int64_t> identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(a0, identity);
  const DataLoader sequential(data, nullptr, {.batch_size = 8});
  EXPECT_EQ(order_of(collect(sequential.epoch(3))), identity);
}

TEST(DataLoaderTest, StartBatchResumesBitIdentically) {
  const auto data = std::make_shared<CountingDataset>(23);
  const DataLoaderOptions options{.batch_size = 4, .shuffle = true, .seed = 3};
  const DataLoader loader(data, augmentation(), options);
  const std::vector<Batch> full = collect(loader.epoch(2));
  ASSERT_EQ(full.size(), 6u);
  for (int64_t start : {1, 4, 6}) {
    const std::vector<Batch> tail = collect(loader.epoch(2, start));
    ASSERT_EQ(tail.size(), full.size() - start);
    for (size_t i = 0; i < tail.size(); ++i) {
      EXPECT_EQ(tail[i].index, start + static_cast<int64_t>(i));
      EXPECT_TRUE(bit_identical(tail[i].x, full[start + i].x))
          << "start " << start << " batch " << i;
      EXPECT_EQ(tail[i].y.to_vector_i64(), full[start + i].y.to_vector_i64());
    }
  }
  // The augmentation did something, and it does not depend on the producer thread.
  EXPECT_FALSE(bit_identical(full[0].x, collect(DataLoader(data, nullptr, options).epoch(2))[0].x));
  const DataLoader synchronous(data, augmentation(),
                               {.batch_size = 4, .shuffle = true, .seed = 3, .prefetch = 0});
  const std::vector<Batch> same = collect(synchronous.epoch(2));
  for (size_t i = 0; i < full.size(); ++i) EXPECT_TRUE(bit_identical(same[i].x, full[i].x));
}

TEST(DataLoaderTest, DropLastDropsTheShortBatch) {
  const auto data = std::make_shared<CountingDataset>(10);
  const DataLoader loader(data, nullptr, {.batch_size = 3, .drop_last = true});
  EXPECT_EQ(loader.batches_per_epoch(), 3);
  const std::vector<Batch> batches = collect(loader.epoch(0));
  ASSERT_EQ(batches.size(), 3u);
  for (const Batch& b : batches) EXPECT_EQ(b.x.size(0), 3);
  EXPECT_EQ(order_of(batches), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(DataLoader(data, nullptr, {.batch_size = 11, .drop_last = true}).batches_per_epoch(),
            0);
  EXPECT_EQ(DataLoader(data, nullptr, {.batch_size = 5, .drop_last = true}).batches_per_epoch(), 2);
}

TEST(DataLoaderTest, LeavingEarlyStopsTheProducerPromptly) {
  // Each example takes 1 ms: a batch of 1000 takes a second, a whole epoch far longer.
  const auto slow = std::make_shared<CountingDataset>(100000, 1000us);
  // Breaking out of the loop while the producer waits for room in a full queue.
  EXPECT_TRUE(finishes_within(2000ms, [&] {
    DataLoader loader(slow, nullptr, {.batch_size = 4, .prefetch = 2});
    for (Batch& b : loader.epoch(0)) {
      EXPECT_EQ(b.index, 0);
      std::this_thread::sleep_for(30ms);  // the producer fills the queue meanwhile
      break;
    }
  }));
  // Destroying an epoch while its producer is in the middle of a long batch.
  EXPECT_TRUE(finishes_within(300ms, [&] {
    DataLoader loader(slow, nullptr, {.batch_size = 1000});
    Epoch never_iterated = loader.epoch(0);
    std::this_thread::sleep_for(20ms);
  }));
  // An epoch keeps the dataset alive after its loader is gone.
  std::optional<Epoch> outlives;
  {
    DataLoader loader(std::make_shared<CountingDataset>(10), nullptr, {.batch_size = 4});
    outlives.emplace(loader.epoch(0));
  }
  EXPECT_EQ(order_of(collect(std::move(*outlives))),
            (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(DataLoaderTest, ProducerErrorsReachTheLoopAfterEarlierBatches) {
  for (int64_t prefetch : {0, 2}) {
    DataLoader loader(std::make_shared<CountingDataset>(12, 0us, 6), nullptr,
                      {.batch_size = 4, .prefetch = prefetch});
    std::vector<int64_t> seen;
    const std::string msg = error_of([&] {
      for (Batch& b : loader.epoch(5)) seen.push_back(b.index);
    });
    EXPECT_EQ(msg, "DataLoader: epoch 5, batch 1, dataset index 6: example 6 is broken");
    EXPECT_EQ(seen, (std::vector<int64_t>{0})) << "prefetch " << prefetch;
  }
}

TEST(DataLoaderTest, CorruptImageInAFolderNamesTheFile) {
  const auto root =
      std::filesystem::temp_directory_path() / ("cnn_loader_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(root / "a");
  for (int i = 0; i < 5; ++i)
    save_png((root / "a" / (std::to_string(i) + ".png")).string(), Tensor::zeros({2, 2, 1}));
  std::filesystem::resize_file(root / "a" / "3.png", 40);
  DataLoader loader(std::make_shared<ImageFolder>(root.string()), nullptr, {.batch_size = 2});
  const std::string msg = error_of([&] { collect(loader.epoch(0)); });
  EXPECT_NE(
      msg.find("batch 1, dataset index 3: " + (root / "a" / "3.png").string() + ": truncated PNG"),
      std::string::npos)
      << msg;
  std::filesystem::remove_all(root);
}

TEST(TensorDatasetTest, GetCopiesOneImageAndChecksItsInput) {
  const Tensor images = Tensor::from_data({3, 1, 2, 1}, {0, 1, 2, 3, 4, 5});
  const TensorDataset data(images, Tensor::from_data_i64({3}, {2, 0, 2}));
  EXPECT_EQ(data.classes(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(data.example_shape(), (Shape{1, 2, 1}));
  Example ex = data.get(1);
  EXPECT_EQ(ex.image.to_vector(), (std::vector<float>{2, 3}));
  EXPECT_EQ(ex.label, 0);
  ex.image.data()[0] = 99;  // the caller owns the copy
  EXPECT_EQ(data.get(1).image.at({0, 0, 0}), 2.0f);
  EXPECT_EQ(error_of([&] { data.get(3); }), "TensorDataset::get: index 3 is outside [0, 3)");
  EXPECT_EQ(error_of([&] {
              TensorDataset(images, Tensor::from_data_i64({3}, {0, 1, 2}), {"a", "b"});
            }),
            "TensorDataset: label 2 at index 2 is outside [0, 2) for 2 classes");
  EXPECT_NE(error_of([&] {
              TensorDataset(images, Tensor::from_data_i64({2}, {0, 1}));
            }).find("labels must be int64 [N] with N = 3"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              TensorDataset(Tensor::zeros({3, 2}), Tensor::from_data_i64({3}, {0, 1, 2}));
            }).find("images must be float32 [N, H, W, C], got [3, 2] float32"),
            std::string::npos);
}

// Takes away the address space a thread's stack needs, then starts an epoch with a producer
// thread; exits 0 after printing the cnn::Error that must follow.
[[noreturn]] void start_an_epoch_without_address_space() {
  const DataLoader loader(std::make_shared<CountingDataset>(4), nullptr,
                          {.batch_size = 2, .prefetch = 1});
  long pages = 0;  // the process's address space now, in pages (/proc/self/statm)
  std::ifstream("/proc/self/statm") >> pages;
  const auto now = static_cast<rlim_t>(pages) * static_cast<rlim_t>(::getpagesize());
  const rlimit limit{now + (rlim_t{2} << 20), RLIM_INFINITY};
  ::setrlimit(RLIMIT_AS, &limit);  // room for small allocations, not for an 8 MiB stack
  try {
    loader.epoch(0);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::_Exit(0);
  }
  std::_Exit(1);
}

// A producer thread that cannot start is a cnn::Error naming the loader and the way around
// it, not a std::system_error.
TEST(DataLoaderTest, ThreadThatCannotStartIsAnError) {
#if CNN_TEST_UNDER_SANITIZER
  GTEST_SKIP() << "the sanitizer's shadow memory needs the address space this test takes away";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(start_an_epoch_without_address_space(), ::testing::ExitedWithCode(0),
              "DataLoader: cannot start the thread that builds batches ahead \\(prefetch 1\\)"
              ": .*; DataLoaderOptions::prefetch = 0 builds them on the calling thread");
}

// An example too large to allocate: the loader names where it happened, not std::bad_alloc.
class HugeExampleDataset : public CountingDataset {
 public:
  HugeExampleDataset() : CountingDataset(2) {}
  Example get(int64_t i) const override {
    return {Tensor::empty({int64_t{1} << 20, int64_t{1} << 20, 1024}), i % 3};  // 4 PiB
  }
};

TEST(DataLoaderTest, OutOfMemoryNamesTheEpochBatchAndIndex) {
  // Under the sanitizers too: tests/support/test_main.cpp lets such an allocation fail.
  for (int64_t prefetch : {0, 1}) {
    const DataLoader loader(std::make_shared<HugeExampleDataset>(), nullptr,
                            {.batch_size = 2, .prefetch = prefetch});
    EXPECT_EQ(error_of([&] { collect(loader.epoch(0)); }),
              "DataLoader: epoch 0, batch 0, dataset index 0: out of memory for the example or "
              "its batch of 2 (batch_size 2)");
  }
}

TEST(DataLoaderTest, ArgumentErrors) {
  const auto data = std::make_shared<CountingDataset>(10);
  EXPECT_EQ(error_of([&] { DataLoader(data, nullptr, {.batch_size = 0}); }),
            "DataLoader: batch_size must be at least 1, got 0");
  EXPECT_EQ(error_of([&] { DataLoader(nullptr, nullptr); }), "DataLoader: dataset is null");
  const DataLoader loader(data, nullptr, {.batch_size = 3});
  EXPECT_EQ(error_of([&] { loader.epoch(0, 5); }),
            "DataLoader::epoch: start_batch 5 is outside [0, 4] (4 batches per epoch)");
  EXPECT_TRUE(collect(loader.epoch(0, 4)).empty());
  Epoch once = loader.epoch(0);
  once.begin();
  EXPECT_NE(error_of([&] { once.begin(); }).find("an epoch is a single pass"), std::string::npos);
}

}  // namespace
}  // namespace cnn::data
