/// \file
/// Generator: the explicit source of every random number (initialization, dropout, shuffling).
/// xoshiro256** seeded through splitmix64: fast, small state that a checkpoint can store, and
/// the same stream on every platform, so a seed reproduces a run bit for bit.
#pragma once

#include <array>
#include <cstdint>

namespace cnn {

class Generator {
 public:
  using State = std::array<uint64_t, 4>;

  explicit Generator(uint64_t seed = 0x5eed);

  void seed(uint64_t seed);
  uint64_t next_u64();
  /// Uniform on [0, 1) with 24 random bits.
  float uniform();
  /// Uniform on [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  /// Standard normal (Box-Muller on two uniforms; the spare value is kept in the state).
  float normal();
  float normal(float mean, float stddev) { return mean + stddev * normal(); }
  /// Uniform integer in [0, n).
  uint64_t below(uint64_t n);

  State state() const { return s_; }
  void set_state(const State& s) {
    s_ = s;
    has_spare_ = false;
  }

 private:
  State s_{};
  bool has_spare_ = false;
  float spare_ = 0.0f;
};

}  // namespace cnn
