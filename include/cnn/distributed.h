/// \file
/// Data-parallel training across processes: the communication layer (an interface, with MPI
/// and single-process implementations) and the gradient reducer that averages gradients in
/// buckets while the backward pass runs. `cnn train` under `mpirun` uses both
/// (docs/DISTRIBUTED.md); a program of its own uses them as:
///
/// ```
///   auto comm = cnn::distributed::init();             // MPI when launched by mpirun
///   cnn::distributed::broadcast_state(*model, *comm); // rank 0's parameters and buffers
///   cnn::distributed::GradientReducer reducer(model->parameters(), comm);
///   // per step: the rank's shard of the global batch, weight = shard rows / global rows
///   Tensor loss = cross_entropy(model->forward(x), y);
///   optimizer.zero_grad();
///   reducer.backward(loss, weight);  // gradients summed over ranks: the global batch's
///   optimizer.step();
/// ```
///
/// Every collective is issued in the same order on every rank. A collective that waits longer
/// than the communicator's timeout ends the whole job with a message naming the rank, the
/// collective and what the rank was doing (Communicator::set_activity).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cnn/tensor.h"

namespace cnn::nn {
class Module;
}

namespace cnn::distributed {

/// A collective started in the background (Communicator::start_all_reduce_sum).
class Pending {
 public:
  virtual ~Pending() = default;
  /// Returns when the collective has finished; raises what it raised.
  virtual void wait() = 0;
};

/// One process of a group that runs the same program on its own part of the data.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Processes of the group on this machine, and this one's index among them.
  virtual int local_size() const = 0;
  virtual int local_rank() const = 0;
  /// "MPI (Open MPI 4.1.4)", or "single process".
  virtual std::string description() const = 0;

  /// Blocking collectives. `what` names the collective in timeout and error messages.
  /// Elementwise sum over ranks, the result on every rank (bit-identical on every rank).
  virtual void all_reduce_sum(std::span<float> data, const char* what) = 0;
  virtual void all_reduce_sum(std::span<double> data, const char* what) = 0;
  /// all[r * mine.size() + i] = rank r's mine[i]; every rank gives the same mine.size().
  virtual void all_gather(std::span<const double> mine, std::span<double> all,
                          const char* what) = 0;
  /// Rank `root`'s bytes to every rank (each gives a buffer of the same size).
  virtual void broadcast(std::span<std::byte> data, int root, const char* what) = 0;
  /// all_reduce_sum of `data` in the background: `data` must stay alive and untouched until
  /// the returned collective's wait() has returned. Collectives run in the order they were
  /// started, blocking ones included.
  virtual std::unique_ptr<Pending> start_all_reduce_sum(std::span<float> data,
                                                        std::string what) = 0;

  /// What this rank is doing ("epoch 2, step 17"), named when a collective times out.
  virtual void set_activity(const std::string& activity) = 0;
  /// Ends every process of the group (MPI_Abort) after printing `message` on this rank.
  [[noreturn]] virtual void abort(const std::string& message) = 0;
};

struct InitOptions {
  /// Seconds a collective may wait for the other ranks before the job is ended (a rank that
  /// died or hangs); 0 waits for ever.
  double timeout_seconds = 60.0;
  /// Use MPI even when no launcher is detected: raise an error instead of running alone.
  bool require_launcher = false;
};

/// True when this process was started by an MPI launcher (mpirun / mpiexec of Open MPI,
/// MPICH's Hydra, Slurm's srun with PMI or PMIx): its environment names a rank and a size.
bool launched_by_mpi();

/// The communicator of this process: MPI over every process the launcher started when
/// launched_by_mpi(), else a single-process one (or an error when require_launcher). MPI is
/// initialized once per process and finalized when the last reference goes.
std::shared_ptr<Communicator> init(const InitOptions& options = {});

/// The machines the ranks run on (groups of ranks that share memory), the same on every rank.
/// A collective: every rank calls it.
int count_hosts(Communicator& comm);

/// A communicator of one process: every collective returns its input.
std::shared_ptr<Communicator> single_process();

/// Raises cnn::Error on every rank, naming the first difference, unless every rank's module
/// has the same parameter and buffer names, shapes and count as rank 0's; then copies rank
/// 0's parameters and buffers to every rank.
void broadcast_state(nn::Module& module, Communicator& comm);

/// A checksum of the module's parameters and buffers (their bytes), the same on every rank
/// exactly when the replicas are bit-identical; check_replicas compares it over ranks and
/// raises cnn::Error naming the ranks that differ from rank 0.
uint64_t state_checksum(const nn::Module& module);
void check_replicas(const nn::Module& module, Communicator& comm);

/// Sync batch norm (`--sync-bn`): every BatchNorm2d of `module` takes its batch statistics over
/// the ranks' whole batch (an all-gather of each rank's count, mean and variance in forward,
/// an all-reduce of the two sums of the backward), so that training equals one process with
/// the global batch. nullptr turns it off.
void set_sync_batch_norm(nn::Module& module, const std::shared_ptr<Communicator>& comm);

struct ReducerOptions {
  /// Gradients are summed in buckets of about this many bytes, each started as soon as the
  /// backward pass has produced all of its gradients (docs/DISTRIBUTED.md: the measured
  /// default).
  int64_t bucket_bytes = int64_t{1} << 20;
};

/// Sums the parameters' gradients over ranks, overlapping the sums with the backward pass.
/// Parameters are put in buckets in reverse order (the order in which backward produces
/// their gradients); a bucket is started when its last gradient has arrived and the buckets
/// before it have started, so every rank starts the same collectives in the same order.
class GradientReducer {
 public:
  GradientReducer(std::vector<Tensor> params, std::shared_ptr<Communicator> comm,
                  const ReducerOptions& options = {});
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  /// loss.backward() from a root gradient of `weight` (this rank's share of the global
  /// objective: its rows over the global batch's rows when `loss` is its shard's mean), then
  /// every parameter's gradient summed over ranks. A parameter without a gradient counts as
  /// zero. An undefined `loss` (a rank with no rows in this step) contributes zeros.
  void backward(const Tensor& loss, double weight);

  int64_t buckets() const;
  /// Bytes of each bucket, in the order they are summed.
  std::vector<int64_t> bucket_bytes() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cnn::distributed
