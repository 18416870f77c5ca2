/// \file
/// `cnn bench --allreduce` under mpirun: the time of a float32 sum all-reduce through
/// cnn::distributed::Communicator for message sizes from 4 KB to 256 MB, the ring cost model
/// fitted to it, and that model's prediction of data-parallel training efficiency
/// (docs/DISTRIBUTED.md, "Scaling model").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnn/distributed.h"

namespace cnn::bench {

struct AllReduceRow {
  int64_t bytes = 0;
  int reps = 0;
  double seconds = 0.0;  ///< the slowest rank's median
};

/// Times all-reduces of each size on every rank of `comm` (each call a collective: every rank
/// calls it with the same sizes). A rank's repetition is timed after a barrier; the figure of
/// a size is the largest of the ranks' medians.
std::vector<AllReduceRow> measure_all_reduce(distributed::Communicator& comm,
                                             const std::vector<int64_t>& sizes);

/// The ring all-reduce's cost for p ranks: t = latency + 2 (p - 1) / p * bytes / bandwidth,
/// fitted by least squares on the relative error over the rows of at most `max_bytes`.
struct RingModel {
  double latency_seconds = 0.0;
  double bandwidth = 0.0;             ///< bytes per second
  double worst_relative_error = 0.0;  ///< of the fit, over the rows
  double seconds(int64_t bytes, int ranks) const;
};
RingModel fit_ring_model(const std::vector<AllReduceRow>& rows, int ranks,
                         int64_t max_bytes = INT64_MAX);

/// Data-parallel training efficiency predicted by the ring model: compute time per step
/// (per-image time x images per node: the global batch over the nodes) against compute plus
/// the all-reduce of `gradient_bytes` in `buckets` buckets; with overlap, the all-reduce hides
/// behind backward (two thirds of the compute) except for the last bucket.
struct ScalingCase {
  std::string model;
  double seconds_per_image = 0.0;  ///< one node's training time per image
  int64_t global_batch = 0;
  int64_t gradient_bytes = 0;
  int64_t buckets = 1;
};
double predicted_efficiency(const ScalingCase& c, const RingModel& link, int nodes, bool overlap);

/// Rank 0's report: the measured rows, the fit, and the predictions for `cases` over `links`
/// (a name and bytes per second; the per-hop latency is the fit's) at 1 to 64 nodes.
struct Link {
  std::string name;
  double bandwidth = 0.0;
};
std::string format_all_reduce(const std::vector<AllReduceRow>& rows, int ranks,
                              const std::string& transport, const std::vector<ScalingCase>& cases,
                              const std::vector<Link>& links);

}  // namespace cnn::bench
