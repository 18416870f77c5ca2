// format_json: the report's content as one JSON object; times in seconds, rates in GFLOP/s
// (1e9 FLOP per second, a multiply-add counting 2) or images per second.
#include <nlohmann/json.hpp>

#include "bench/case_json.h"
#include "bench/figures.h"
#include "cnn/bench/report.h"

namespace cnn::bench {
namespace {

using json = nlohmann::ordered_json;  // keys in the order written: machine first

json timing_json(const Timing& t) {
  return {{"median_seconds", t.median_seconds}, {"min_seconds", t.min_seconds}, {"reps", t.reps}};
}

json peak_json(const FmaPeak& p) {
  json j = timing_json(p.timing);
  j["threads"] = p.threads;
  j["gflops"] = p.gflops;
  return j;
}

json torch_json(const TorchFigure& f) {
  json j = timing_json(f.timing);
  j["layout"] = f.layout;
  j["by_layout"] = json::object();
  if (f.nchw_seconds > 0) j["by_layout"]["nchw"] = f.nchw_seconds;
  if (f.channels_last_seconds > 0) j["by_layout"]["channels_last"] = f.channels_last_seconds;
  return j;
}

// One timed piece of work of `flops` FLOP: ours and PyTorch's GFLOP/s and their ratio.
json flops_json(double flops, const Timing& ours, const TorchFigure* torch, double peak) {
  json j;
  j["flops"] = flops;
  j["ours"] = timing_json(ours);
  const double g = gflops(flops, ours.median_seconds);
  j["ours"]["gflops"] = g;
  j["ours"]["percent_of_peak"] = percent_of(g, peak);
  j["torch"] = nullptr;
  j["ratio"] = nullptr;
  if (torch != nullptr) {
    j["torch"] = torch_json(*torch);
    const double theirs = gflops(flops, torch->timing.median_seconds);
    j["torch"]["gflops"] = theirs;
    j["ratio"] = g / theirs;
  }
  return j;
}

json layer_json(const LayerRow& row, double peak) {
  const ConvCase& c = row.layer;
  json j = {{"model", c.model}, {"layer", c.layer}, {"shape", c.shape_text()}};
  add_conv_fields(c, j);
  j["out_height"] = c.out_height();
  j["out_width"] = c.out_width();
  j["algorithms"] = {{"forward", row.ours.algorithms.forward},
                     {"backward_data", row.ours.algorithms.backward_data},
                     {"backward_weight", row.ours.algorithms.backward_weight}};
  j["forward"] = flops_json(c.forward_flops(), row.ours.forward,
                            row.torch ? &row.torch->forward : nullptr, peak);
  j["forward_backward"] = flops_json(c.forward_backward_flops(), row.ours.forward_backward,
                                     row.torch ? &row.torch->forward_backward : nullptr, peak);
  return j;
}

json model_json(const ModelRow& row) {
  const ModelCase& m = row.model;
  const bool throughput = model_metric_is_throughput(m);
  json j = {{"model", m.model},
            {"mode", mode_name(m.mode)},
            {"batch", m.batch},
            {"input", {m.height, m.width, m.channels}},
            {"classes", m.classes},
            {"metric", throughput ? "images_per_second" : "latency_seconds"},
            {"better", throughput ? "higher" : "lower"}};
  j["ours"] = timing_json(row.ours.timing);
  j["ours"]["value"] = model_metric(m, row.ours.timing.median_seconds);
  j["ours"]["parameters"] = row.ours.parameters;
  j["torch"] = nullptr;
  j["ratio"] = nullptr;
  if (row.torch) {
    j["torch"] = torch_json(row.torch->figure);
    j["torch"]["value"] = model_metric(m, row.torch->figure.timing.median_seconds);
    j["torch"]["parameters"] = row.torch->parameters;
    j["ratio"] = j["ours"]["value"].get<double>() / j["torch"]["value"].get<double>();
  }
  j["ort"] = nullptr;
  j["ratio_ort"] = nullptr;
  if (row.ort) {
    j["ort"] = timing_json(row.ort->timing);
    j["ort"]["runs"] = json::array();
    for (const Timing& run : row.ort->runs) j["ort"]["runs"].push_back(run.median_seconds);
    j["ort"]["value"] = model_metric(m, row.ort->timing.median_seconds);
    j["ort"]["parameters"] = row.ort->parameters;
    j["ratio_ort"] = j["ours"]["value"].get<double>() / j["ort"]["value"].get<double>();
  }
  return j;
}

}  // namespace

std::string format_json(const Report& r) {
  json j;
  j["machine"] = {{"cpu", r.machine.cpu},
                  {"hardware_threads", r.machine.hardware_threads},
                  {"threads", r.machine.threads},
                  {"date", r.machine.date},
                  {"gemm_isa", r.machine.gemm_isa},
                  {"load_average_start", r.machine.load_average_start},
                  {"load_average_end", r.machine.load_average_end}};
  j["units"] = {{"flops", "floating-point operations; one multiply-add = 2 FLOP"},
                {"gflops", "1e9 FLOP per second"},
                {"conv_forward_flops", "2 * N * OH * OW * O * KH * KW * C / groups"},
                {"conv_forward_backward_flops", "3 x forward: gradients of input and weight"},
                {"seconds", "median (and minimum) of timed runs after warm-up"},
                {"ratio",
                 "ours / torch of the row's metric: GFLOP/s and images/s, higher is "
                 "better; latency_seconds, lower is better"},
                {"ratio_ort", "ours / ort of the row's metric, read as ratio"}};
  j["quick"] = r.quick;
  j["policies"] = {{"peak", policy_json<json>(r.policies.peak)},
                   {"gemm", policy_json<json>(r.policies.gemm)},
                   {"layers", policy_json<json>(r.policies.layers)},
                   {"models", policy_json<json>(r.policies.models)}};
  j["torch"] = {{"requested", r.torch.requested}, {"measured", r.torch.measured},
                {"version", r.torch.version},     {"python", r.torch.python},
                {"threads", r.machine.threads},   {"notes", r.torch.notes}};
  j["ort"] = {{"requested", r.ort.requested},       {"measured", r.ort.measured},
              {"version", r.ort.version},           {"node", r.ort.node},
              {"node_version", r.ort.node_version}, {"exporter", r.ort.exporter},
              {"threads", r.machine.threads},       {"rounds", r.ort.rounds},
              {"graph_optimizations", "all"},       {"notes", r.ort.notes}};
  j["peak"] = {{"isa", r.peak_one_thread.isa},
               {"one_thread", peak_json(r.peak_one_thread)},
               {"all_threads", peak_json(r.peak_all_threads)}};
  j["sections"] = json::array();
  if (r.has_gemm) j["sections"].push_back("gemm");
  if (r.has_layers) j["sections"].push_back("layers");
  if (r.has_models) j["sections"].push_back("models");
  j["gemm"] = json::array();
  for (const GemmRow& row : r.gemm) {
    json g = flops_json(row.gemm.flops(), row.ours, row.torch ? &*row.torch : nullptr,
                        r.peak_for(row.gemm.threads).gflops);
    g["m"] = row.gemm.m;
    g["n"] = row.gemm.n;
    g["k"] = row.gemm.k;
    g["threads"] = row.gemm.threads;
    j["gemm"].push_back(g);
  }
  j["layers"] = json::array();
  for (const LayerRow& row : r.layers)
    j["layers"].push_back(layer_json(row, r.peak_all_threads.gflops));
  j["models"] = json::array();
  for (const ModelRow& row : r.models) j["models"].push_back(model_json(row));
  return j.dump(2) + "\n";
}

}  // namespace cnn::bench
