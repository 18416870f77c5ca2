// The JSON fields of a repetition policy and of a convolution case, shared by the report
// (`cnn bench --json`) and the spec sent to bench/torch_bench.py, so that both describe a case
// with the same keys. Json is nlohmann::json or nlohmann::ordered_json.
#pragma once

#include <nlohmann/json.hpp>

#include "cnn/bench/cases.h"
#include "cnn/bench/timing.h"

namespace cnn::bench {

template <class Json>
Json policy_json(const TimingPolicy& p) {
  return {{"warmup_reps", p.warmup_reps},
          {"warmup_seconds", p.warmup_seconds},
          {"min_reps", p.min_reps},
          {"max_reps", p.max_reps},
          {"budget_seconds", p.budget_seconds}};
}

// batch, height, width, channels in and out, kernel, stride, padding, groups
template <class Json>
void add_conv_fields(const ConvCase& c, Json& j) {
  j["batch"] = c.batch;
  j["height"] = c.height;
  j["width"] = c.width;
  j["in_channels"] = c.in_channels;
  j["out_channels"] = c.out_channels;
  j["kernel"] = c.kernel;
  j["stride"] = c.stride;
  j["padding"] = c.padding;
  j["groups"] = c.groups;
}

}  // namespace cnn::bench
