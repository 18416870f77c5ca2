#include "kernels/conv2d_prepared.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "cnn/error.h"
#include "cnn/generator.h"
#include "cnn/parallel.h"
#include "kernels/cpu/conv2d_packed_algorithms.h"
#include "kernels/cpu/isa.h"

namespace cnn::kernels {
namespace {

using cpu::Conv2dPackedAlgorithm;

// What a choice depends on: the whole geometry, whether a residual is read, the threads and the
// instruction set.
std::string choice_key(const Conv2dGeometry& g, bool residual) {
  std::string key;
  for (int64_t v :
       {g.batch, g.in_h, g.in_w, g.in_c, g.kernel_h, g.kernel_w, g.out_c, g.groups, g.stride_h,
        g.stride_w, g.dilation_h, g.dilation_w, g.pad_top, g.pad_left, g.out_h, g.out_w}) {
    key.append(std::to_string(v));
    key.push_back(',');
  }
  key.append(residual ? "r," : "-,");
  key.append(std::to_string(num_threads()));
  key.push_back(',');
  key.append(cpu::isa_name(cpu::kernel_isa()));
  return key;
}

std::mutex& cache_mutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, std::string>& choice_cache() {
  static std::map<std::string, std::string> cache;
  return cache;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int64_t output_floats(const Conv2dGeometry& g) {
  return g.batch * g.out_h * g.out_w * g.out_c;
}

void check_same_weight(const Conv2dGeometry& a, const Conv2dGeometry& b) {
  CNN_CHECK(a.kernel_h == b.kernel_h && a.kernel_w == b.kernel_w && a.in_c == b.in_c &&
                a.out_c == b.out_c && a.groups == b.groups,
            "prepared convolution: the geometry's weight [", b.kernel_h, ", ", b.kernel_w, ", ",
            b.in_c / std::max<int64_t>(b.groups, 1), ", ", b.out_c, "] is not the prepared one [",
            a.kernel_h, ", ", a.kernel_w, ", ", a.in_c / a.groups, ", ", a.out_c, "]");
}

}  // namespace

PreparedConv2d::PreparedConv2d(const Conv2dGeometry& weight_geometry, const float* weight,
                               const float* bias)
    : w_(weight_geometry) {
  const int64_t n = w_.kernel_h * w_.kernel_w * w_.group_in() * w_.out_c;
  weight_ = Tensor::empty({n});
  std::copy_n(weight, n, weight_.data());
  if (bias != nullptr) {
    bias_ = Tensor::empty({w_.out_c});
    std::copy_n(bias, w_.out_c, bias_.data());
  }
}

const PreparedConv2d::Packed& PreparedConv2d::packed_for(const std::string& algorithm,
                                                         const Conv2dGeometry& g) {
  const std::string key = algorithm + "/" + cpu::isa_name(cpu::kernel_isa());
  auto it = packed_.find(key);
  if (it != packed_.end()) return it->second;
  const Conv2dPackedAlgorithm* a = cpu::conv2d_packed_algorithm(algorithm);
  CNN_CHECK(a != nullptr, "prepared convolution: unknown algorithm '", algorithm, "'");
  Packed p;
  p.data = Tensor::empty({std::max<int64_t>(1, a->packed_floats(g))});
  a->pack(g, weight_.data(), p.data.data());
  return packed_.emplace(key, std::move(p)).first->second;
}

const std::string& PreparedConv2d::prepare(const Conv2dGeometry& g, bool measure,
                                           bool with_residual) {
  check_same_weight(w_, g);
  const std::string key = choice_key(g, with_residual);
  if (auto it = chosen_.find(key); it != chosen_.end()) return it->second;
  std::string choice;
  {
    const std::lock_guard<std::mutex> lock(cache_mutex());
    if (auto it = choice_cache().find(key); it != choice_cache().end()) choice = it->second;
  }
  if (choice.empty() && measure) {
    // Each candidate on this geometry, on a random input, the best of its runs (a run that
    // other processes slow down can only be slower); ties go to the default candidate.
    Generator gen(0);
    const Tensor x = Tensor::normal({g.batch * g.in_h * g.in_w * g.in_c}, 0, 1, gen);
    Tensor y = Tensor::empty({output_floats(g)});
    const Tensor residual =
        with_residual ? Tensor::normal({output_floats(g)}, 0, 1, gen) : Tensor();
    const Conv2dEpilogue e{.residual = with_residual ? residual.data() : nullptr, .relu = true};
    int64_t scratch_floats = 0;
    for (const Conv2dPackedAlgorithm& a : cpu::conv2d_packed_algorithms())
      if (a.applies(g)) scratch_floats = std::max(scratch_floats, a.scratch_floats(g));
    Tensor scratch = Tensor::empty({std::max<int64_t>(scratch_floats, 1)});
    const Conv2dPackedAlgorithm& first = cpu::conv2d_packed_default(g);
    std::vector<const Conv2dPackedAlgorithm*> candidates{&first};
    for (const Conv2dPackedAlgorithm& a : cpu::conv2d_packed_algorithms())
      if (&a != &first && a.applies(g)) candidates.push_back(&a);
    const float* b = bias_.defined() ? bias_.data() : nullptr;
    const auto time_once = [&](const Conv2dPackedAlgorithm* a) {
      const Tensor& packed = packed_for(a->name, g).data;
      const auto start = std::chrono::steady_clock::now();
      a->forward(g, x.data(), packed.data(), b, y.data(), e, scratch.data());
      return seconds_since(start);
    };
    // a warm-up run of each drops those 3x slower than the fastest warm-up; the rest run in
    // interleaved rounds, so that a change in the machine's load falls on all of them
    std::vector<double> warm(candidates.size()), fastest(candidates.size(), 1e300);
    for (size_t i = 0; i < candidates.size(); ++i) warm[i] = time_once(candidates[i]);
    const double best_warm = *std::min_element(warm.begin(), warm.end());
    for (int round = 0; round < 3; ++round)
      for (size_t i = 0; i < candidates.size(); ++i)
        if (warm[i] <= 3 * best_warm) fastest[i] = std::min(fastest[i], time_once(candidates[i]));
    choice = candidates[static_cast<size_t>(std::min_element(fastest.begin(), fastest.end()) -
                                            fastest.begin())]
                 ->name;
  }
  if (choice.empty()) choice = cpu::conv2d_packed_default(g).name;
  {
    const std::lock_guard<std::mutex> lock(cache_mutex());
    choice = choice_cache().emplace(key, choice).first->second;  // the first choice stays
  }
  // only the packings of chosen algorithms are kept
  chosen_.emplace(key, choice);
  packed_for(choice, g);
  used_.insert(choice + "/" + cpu::isa_name(cpu::kernel_isa()));
  for (auto it = packed_.begin(); it != packed_.end();)
    it = used_.count(it->first) != 0 ? std::next(it) : packed_.erase(it);
  return chosen_.at(key);
}

int64_t PreparedConv2d::scratch_floats(const Conv2dGeometry& g, bool with_residual) const {
  const auto it = chosen_.find(choice_key(g, with_residual));
  CNN_CHECK(it != chosen_.end(), "prepared convolution: the geometry was not prepared");
  return cpu::conv2d_packed_algorithm(it->second)->scratch_floats(g);
}

void PreparedConv2d::forward(const Conv2dGeometry& g, const float* x, float* y,
                             const Conv2dEpilogue& e, float* scratch) const {
  CNN_CHECK(e.scale == nullptr, "prepared convolution: the scale must be folded into the weight");
  const auto it = chosen_.find(choice_key(g, e.residual != nullptr));
  CNN_CHECK(it != chosen_.end(), "prepared convolution: the geometry was not prepared");
  const auto packed = packed_.find(it->second + "/" + cpu::isa_name(cpu::kernel_isa()));
  CNN_CHECK(packed != packed_.end(), "prepared convolution: no packed weight for '", it->second,
            "'");
  cpu::conv2d_packed_algorithm(it->second)
      ->forward(g, x, packed->second.data.data(), bias_.defined() ? bias_.data() : nullptr, y, e,
                scratch);
}

int64_t PreparedConv2d::packed_bytes() const {
  int64_t bytes = 0;
  for (const auto& [name, p] : packed_) bytes += p.data.numel() * 4;
  return bytes;
}

std::string conv2d_prepared_choice(const Conv2dGeometry& g, bool with_residual) {
  const std::lock_guard<std::mutex> lock(cache_mutex());
  const auto it = choice_cache().find(choice_key(g, with_residual));
  return it == choice_cache().end() ? std::string() : it->second;
}

}  // namespace cnn::kernels
