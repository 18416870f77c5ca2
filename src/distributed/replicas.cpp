// The replicas of a model on every rank: the same parameters at the start (broadcast_state),
// kept bit-identical (state_checksum, check_replicas), and sync batch norm switched on.
#include <cstring>
#include <sstream>

#include "cnn/distributed.h"
#include "cnn/error.h"
#include "cnn/nn/module.h"
#include "cnn/nn/norm.h"

namespace cnn::distributed {
namespace {

// Every parameter, then every buffer, by name: what must match across ranks.
std::vector<nn::NamedTensor> state_of(const nn::Module& module) {
  std::vector<nn::NamedTensor> all = module.named_parameters();
  for (nn::NamedTensor& b : module.named_buffers()) all.push_back(std::move(b));
  return all;
}

std::string describe(const std::vector<nn::NamedTensor>& state) {
  std::ostringstream out;
  for (const auto& [name, t] : state)
    out << name << ' ' << dtype_name(t.dtype()) << ' ' << to_string(t.shape()) << '\n';
  return out.str();
}

// The elements' bytes of a contiguous float32 or int64 tensor.
const void* bytes_of(const Tensor& t) {
  return t.dtype() == DType::i64 ? static_cast<const void*>(t.data_i64())
                                 : static_cast<const void*>(t.data());
}
void* bytes_of(Tensor& t) {
  return t.dtype() == DType::i64 ? static_cast<void*>(t.data_i64()) : static_cast<void*>(t.data());
}

size_t bytes_in(const Tensor& t) {
  return static_cast<size_t>(t.numel()) * dtype_size(t.dtype());
}

uint64_t fnv1a(const void* data, size_t bytes, uint64_t h = 1469598103934665603ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

// A 64-bit value as two doubles that hold it exactly (all-gathers carry doubles).
void put(uint64_t v, double* to) {
  to[0] = static_cast<double>(v >> 32);
  to[1] = static_cast<double>(v & 0xffffffffULL);
}

// The first line where two descriptions differ, for the message.
std::string first_difference(const std::string& mine, const std::string& theirs) {
  std::istringstream a(mine), b(theirs);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ha = static_cast<bool>(std::getline(a, la));
    const bool hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "the same names and shapes (a hash collision)";
    if (!ha) return "rank 0 has more entries, the first missing here: '" + lb + "'";
    if (!hb) return "this rank has more entries, the first missing on rank 0: '" + la + "'";
    if (la != lb)
      return "entry " + std::to_string(line) + " is '" + la + "' here but '" + lb + "' on rank 0";
  }
}

}  // namespace

void broadcast_state(nn::Module& module, Communicator& comm) {
  const std::vector<nn::NamedTensor> state = state_of(module);
  const std::string mine = describe(state);
  std::vector<double> summary(3), all(3 * static_cast<size_t>(comm.size()));
  summary[0] = static_cast<double>(state.size());
  put(fnv1a(mine.data(), mine.size()), summary.data() + 1);
  comm.all_gather(summary, all, "the check that every rank builds the same model");
  std::vector<int> differ;
  for (int r = 1; r < comm.size(); ++r)
    if (!std::equal(all.begin() + 3 * r, all.begin() + 3 * r + 3, all.begin())) differ.push_back(r);
  if (!differ.empty()) {
    // Every rank knows now; rank 0's description lets each name what differs.
    uint64_t length = mine.size();
    comm.broadcast(std::as_writable_bytes(std::span(&length, 1)), 0,
                   "the length of rank 0's model description");
    std::string theirs(length, '\0');
    if (comm.rank() == 0) theirs = mine;
    comm.broadcast(std::as_writable_bytes(std::span(theirs.data(), theirs.size())), 0,
                   "rank 0's model description");
    std::string ranks;
    for (int r : differ) ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
    if (comm.rank() == 0)
      fail("the ranks do not build the same model: rank(s) ", ranks, " differ from rank 0 (",
           state.size(), " parameters and buffers here); see their messages");
    const bool me = std::find(differ.begin(), differ.end(), comm.rank()) != differ.end();
    fail("the ranks do not build the same model: rank(s) ", ranks, " differ from rank 0",
         me ? "; on this rank, " + first_difference(mine, theirs) : std::string());
  }
  // Rank 0's values, as one buffer.
  size_t bytes = 0;
  for (const auto& [name, t] : state) bytes += bytes_in(t);
  std::vector<std::byte> buffer(bytes);
  size_t at = 0;
  for (const auto& [name, t] : state) {
    const Tensor c = t.contiguous();
    if (comm.rank() == 0 && bytes_in(c) > 0)
      std::memcpy(buffer.data() + at, bytes_of(c), bytes_in(c));
    at += bytes_in(c);
  }
  comm.broadcast(buffer, 0, "rank 0's parameters and buffers");
  if (comm.rank() == 0) return;
  nn::StateDict values;
  at = 0;
  for (const auto& [name, t] : state) {
    Tensor v = Tensor::empty(t.shape(), t.dtype());
    if (bytes_in(v) > 0) std::memcpy(bytes_of(v), buffer.data() + at, bytes_in(v));
    at += bytes_in(v);
    values.insert(name, v);
  }
  module.load_state_dict(values);
}

uint64_t state_checksum(const nn::Module& module) {
  uint64_t h = 1469598103934665603ULL;
  for (const auto& [name, t] : state_of(module)) {
    const Tensor c = t.contiguous();
    h = fnv1a(bytes_of(c), bytes_in(c), h);
  }
  return h;
}

void check_replicas(const nn::Module& module, Communicator& comm) {
  std::vector<double> mine(2), all(2 * static_cast<size_t>(comm.size()));
  put(state_checksum(module), mine.data());
  comm.all_gather(mine, all, "the replicas' checksums");
  std::string differ;
  for (int r = 1; r < comm.size(); ++r)
    if (all[2 * r] != all[0] || all[2 * r + 1] != all[1])
      differ += (differ.empty() ? "" : ", ") + std::to_string(r);
  CNN_CHECK(differ.empty(), "the model's parameters and buffers on rank(s) ", differ,
            " are not bit-identical to rank 0's");
}

void set_sync_batch_norm(nn::Module& module, const std::shared_ptr<Communicator>& comm) {
  if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(&module)) bn->set_sync(comm);
  for (const auto& child : module.children()) set_sync_batch_norm(*child, comm);
}

}  // namespace cnn::distributed
