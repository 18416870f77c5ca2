// The MPI implementation of distributed::Communicator (mpi_communicator.cpp).
#pragma once

#include <memory>

#include "cnn/distributed.h"

namespace cnn::distributed::detail {

/// MPI_COMM_WORLD of this process, initialized on the first call (MPI_THREAD_MULTIPLE when the
/// library offers it) and finalized at exit; later calls return the same communicator.
std::shared_ptr<Communicator> mpi_communicator(const InitOptions& options);

}  // namespace cnn::distributed::detail
