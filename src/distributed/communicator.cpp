// The communicator of a process: MPI when an MPI launcher started it (mpi_communicator.cpp),
// otherwise one process alone.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cnn/distributed.h"
#include "cnn/error.h"
#include "distributed/mpi_communicator.h"

namespace cnn::distributed {
namespace {

// A group of one: every collective returns its input.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string description() const override { return "single process"; }
  void all_reduce_sum(std::span<float>, const char*) override {}
  void all_reduce_sum(std::span<double>, const char*) override {}
  void all_gather(std::span<const double> mine, std::span<double> all, const char* what) override {
    CNN_CHECK(all.size() == mine.size(), "all_gather (", what, "): ", all.size(),
              " values for 1 rank of ", mine.size());
    std::copy(mine.begin(), mine.end(), all.begin());
  }
  void broadcast(std::span<std::byte>, int root, const char* what) override {
    CNN_CHECK(root == 0, "broadcast (", what, "): root ", root, " outside a group of 1");
  }
  std::unique_ptr<Pending> start_all_reduce_sum(std::span<float>, std::string) override {
    struct Done final : Pending {
      void wait() override {}
    };
    return std::make_unique<Done>();
  }
  void set_activity(const std::string&) override {}
  [[noreturn]] void abort(const std::string& message) override {
    std::fprintf(stderr, "%s\n", message.c_str());
    std::fflush(stderr);
    std::_Exit(1);
  }
};

bool set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

}  // namespace

bool launched_by_mpi() {
  // Open MPI's mpirun, PMIx (Open MPI 4+, srun --mpi=pmix), PMI-1/2 (MPICH's Hydra, srun
  // --mpi=pmi2)
  return set("OMPI_COMM_WORLD_SIZE") || set("PMIX_RANK") || set("PMI_SIZE");
}

int count_hosts(Communicator& comm) {
  std::vector<double> first_on_host = {comm.local_rank() == 0 ? 1.0 : 0.0};
  comm.all_reduce_sum(std::span<double>(first_on_host), "counting the hosts");
  return static_cast<int>(std::lround(first_on_host[0]));
}

std::shared_ptr<Communicator> single_process() {
  return std::make_shared<SingleProcess>();
}

std::shared_ptr<Communicator> init(const InitOptions& options) {
  CNN_CHECK(options.timeout_seconds >= 0.0,
            "distributed::init: timeout_seconds must not be "
            "negative, got ",
            options.timeout_seconds);
  if (!launched_by_mpi()) {
    CNN_CHECK(!options.require_launcher,
              "distributed training was asked for, but no MPI launcher started this process (no "
              "OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE in the environment); run it as "
              "`mpirun -np N cnn train ...` (docs/DISTRIBUTED.md)");
    return single_process();
  }
  return detail::mpi_communicator(options);
}

}  // namespace cnn::distributed
