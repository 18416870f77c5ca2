// `cnn bench --allreduce`: all-reduce times, the ring model fitted to them, and the scaling it
// predicts for data-parallel training.
#include "cnn/bench/allreduce.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cnn/error.h"

namespace cnn::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The fit covers the messages data-parallel training sends: buckets of a few MiB.
constexpr int64_t kFitBytes = int64_t{16} << 20;

// Repetitions of a size: more for small messages (their time is microseconds), at least 5.
int reps_for(int64_t bytes) {
  return static_cast<int>(
      std::clamp<int64_t>((int64_t{256} << 20) / std::max<int64_t>(bytes, 1), 5, 200));
}

std::string human_bytes(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%lld MiB", static_cast<long long>(bytes >> 20));
  } else {
    std::snprintf(buf, sizeof buf, "%lld KiB", static_cast<long long>(bytes >> 10));
  }
  return buf;
}

}  // namespace

std::vector<AllReduceRow> measure_all_reduce(distributed::Communicator& comm,
                                             const std::vector<int64_t>& sizes) {
  std::vector<AllReduceRow> rows;
  std::vector<double> barrier(1);
  for (const int64_t bytes : sizes) {
    CNN_CHECK(bytes >= 4 && bytes % 4 == 0, "measure_all_reduce: ", bytes,
              " bytes is not a positive number of floats");
    std::vector<float> data(static_cast<size_t>(bytes / 4), 1.0f);
    const int reps = reps_for(bytes);
    std::vector<double> times;
    for (int r = 0; r <= reps; ++r) {  // the first is a warm-up
      comm.all_reduce_sum(std::span<double>(barrier), "the benchmark's barrier");
      const auto start = Clock::now();
      comm.all_reduce_sum(std::span<float>(data), "the benchmark's all-reduce");
      if (r > 0) times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2),
                     times.end());
    const std::vector<double> mine = {times[times.size() / 2]};
    std::vector<double> all(static_cast<size_t>(comm.size()));
    comm.all_gather(mine, all, "the benchmark's medians");
    rows.push_back({bytes, reps, *std::max_element(all.begin(), all.end())});
  }
  return rows;
}

double RingModel::seconds(int64_t bytes, int ranks) const {
  const double p = ranks;
  return latency_seconds + 2.0 * (p - 1.0) / p * static_cast<double>(bytes) / bandwidth;
}

RingModel fit_ring_model(const std::vector<AllReduceRow>& all_rows, int ranks, int64_t max_bytes) {
  std::vector<AllReduceRow> rows;
  for (const AllReduceRow& r : all_rows)
    if (r.bytes <= max_bytes) rows.push_back(r);
  CNN_CHECK(rows.size() >= 2 && ranks >= 2, "fit_ring_model: needs 2 sizes and 2 ranks");
  // t = a + b x with x = 2 (p - 1) / p * bytes, least squares weighted by 1 / t^2 (relative
  // errors: the small messages' microseconds count as much as the large ones' seconds).
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const AllReduceRow& r : rows) {
    const double x = 2.0 * (ranks - 1.0) / ranks * static_cast<double>(r.bytes);
    const double y = r.seconds, w = 1.0 / (y * y);
    sw += w;
    sx += w * x;
    sy += w * y;
    sxx += w * x * x;
    sxy += w * x * y;
  }
  const double b = (sw * sxy - sx * sy) / (sw * sxx - sx * sx);
  const double a = (sy - b * sx) / sw;
  RingModel m{.latency_seconds = std::max(a, 0.0), .bandwidth = 1.0 / b};
  for (const AllReduceRow& r : rows)
    m.worst_relative_error = std::max(m.worst_relative_error,
                                      std::abs(m.seconds(r.bytes, ranks) - r.seconds) / r.seconds);
  return m;
}

double predicted_efficiency(const ScalingCase& c, const RingModel& link, int nodes, bool overlap) {
  const double compute =
      c.seconds_per_image * static_cast<double>(c.global_batch) / static_cast<double>(nodes);
  if (nodes == 1) return 1.0;
  // A ring of p nodes passes 2 (p - 1) messages in sequence: the latency fitted for 2 ranks
  // (2 messages) grows as p - 1.
  const double p = nodes;
  const double latency = link.latency_seconds * (p - 1.0);
  const double bucket_bytes =
      static_cast<double>(c.gradient_bytes) / static_cast<double>(c.buckets);
  const double per_bucket = latency + 2.0 * (p - 1.0) / p * bucket_bytes / link.bandwidth;
  const double all = per_bucket * static_cast<double>(c.buckets);
  const double exposed =
      overlap ? std::max(0.0, all - per_bucket - 2.0 / 3.0 * compute) + per_bucket : all;
  return compute / (compute + exposed);
}

std::string format_all_reduce(const std::vector<AllReduceRow>& rows, int ranks,
                              const std::string& transport, const std::vector<ScalingCase>& cases,
                              const std::vector<Link>& links) {
  std::ostringstream out;
  char line[256];
  out << "all-reduce of float32 sums, " << ranks << " ranks, " << transport
      << " (the slowest rank's median)\n";
  out << "      size    reps       time    algbw GB/s   busbw GB/s   ring model\n";
  const RingModel fit = fit_ring_model(rows, ranks, kFitBytes);
  for (const AllReduceRow& r : rows) {
    const double alg = static_cast<double>(r.bytes) / r.seconds / 1e9;
    std::snprintf(line, sizeof line, "%10s %7d %9.1f us %12.3f %12.3f %9.1f us\n",
                  human_bytes(r.bytes).c_str(), r.reps, r.seconds * 1e6, alg,
                  alg * 2.0 * (ranks - 1.0) / ranks, fit.seconds(r.bytes, ranks) * 1e6);
    out << line;
  }
  std::snprintf(line, sizeof line,
                "ring model, fitted up to 16 MiB (the buckets' sizes): latency %.1f us + 2(p-1)/p "
                "x bytes / %.3f GB/s (worst error there %.0f%%)\n",
                fit.latency_seconds * 1e6, fit.bandwidth / 1e9, 100.0 * fit.worst_relative_error);
  out << line;
  if (cases.empty()) return out.str();
  out << "\npredicted efficiency of data-parallel training (the global batch split over the "
         "nodes; per-hop latency from the fit above)\n";
  const std::vector<int> nodes = {1, 2, 4, 8, 16, 32, 64};
  for (const ScalingCase& c : cases) {
    std::snprintf(line, sizeof line,
                  "%s: %.4f s per image on one node, global batch %lld, %.1f MB of gradients in "
                  "%lld buckets\n",
                  c.model.c_str(), c.seconds_per_image, static_cast<long long>(c.global_batch),
                  static_cast<double>(c.gradient_bytes) / 1e6, static_cast<long long>(c.buckets));
    out << line << "  link              overlap";
    for (int n : nodes) {
      std::snprintf(line, sizeof line, " %6d", n);
      out << line;
    }
    out << "\n";
    for (const Link& l : links) {
      const RingModel model{.latency_seconds = fit.latency_seconds, .bandwidth = l.bandwidth};
      for (const bool overlap : {false, true}) {
        std::snprintf(line, sizeof line, "  %-16s %7s", l.name.c_str(), overlap ? "yes" : "no");
        out << line;
        for (int n : nodes) {
          std::snprintf(line, sizeof line, " %5.1f%%",
                        100.0 * predicted_efficiency(c, model, n, overlap));
          out << line;
        }
        out << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace cnn::bench
