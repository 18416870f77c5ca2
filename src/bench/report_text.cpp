// format_text: the machine and units, then one aligned table per section.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "bench/figures.h"
#include "bench/text_table.h"
#include "cnn/bench/report.h"

namespace cnn::bench {
namespace {

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string short_layout(const std::string& layout) {
  return layout == "channels_last" ? "cl" : layout;
}

// ONNX Runtime's line: which, how and on what, or why it has no figures.
void ort_header(const Report& r, std::ostringstream& out) {
  const OrtStatus& o = r.ort;
  if (o.measured) {
    out << "ONNX Runtime " << o.version << " (npm onnxruntime-node, Node.js " << o.node_version
        << ", " << r.machine.threads << " thread" << (r.machine.threads == 1 ? "" : "s")
        << ", graph optimizations all) for model inference, on files written by " << o.exporter
        << ";\nits figure is the best median of " << o.rounds << " separate runs.\n";
  } else if (!o.requested) {
    out << "ONNX Runtime not measured (--no-ort).\n";
  } else if (o.notes.empty()) {
    out << "ONNX Runtime not measured.\n";
  }
  for (const std::string& note : o.notes) out << "Note: " << note << "\n";
}

void header(const Report& r, std::ostringstream& out) {
  const Machine& m = r.machine;
  out << "cnn bench: " << m.cpu << ", " << m.threads << " thread" << (m.threads == 1 ? "" : "s")
      << " (" << m.hardware_threads << " hardware threads), " << m.date;
  if (m.load_average_start >= 0 && m.load_average_end >= 0)
    out << ", load average " << fixed(m.load_average_start, 2) << " at the start and "
        << fixed(m.load_average_end, 2) << " at the end";
  out << "\n";
  out << "Our GEMM microkernel: " << m.gemm_isa << ". ";
  if (r.torch.measured) {
    out << "PyTorch " << r.torch.version << " (" << r.torch.python << ", " << m.threads << " thread"
        << (m.threads == 1 ? "" : "s")
        << "), each case in NCHW and channels_last (cl), the faster kept.\n";
  } else if (!r.torch.requested) {
    out << "PyTorch not measured (--no-torch).\n";
  } else {
    out << "PyTorch not measured.\n";
  }
  for (const std::string& note : r.torch.notes) out << "Note: " << note << "\n";
  if (r.has_models) ort_header(r, out);
  out << "Units: GFLOP/s = 1e9 floating-point operations per second, one multiply-add = 2 FLOP;\n"
         "a convolution's forward is 2*N*OH*OW*O*KH*KW*C/groups FLOP, its forward+backward "
         "(gradients\n"
         "of input and weight) 3x that. Each figure is the median of timed runs after warm-up"
      << (r.quick ? "\n(--quick: two timed runs, indicative only)" : "") << ".\n";
}

void peak_table(const Report& r, std::ostringstream& out) {
  out << "\nFMA peak: a register-resident " << r.peak_one_thread.isa
      << " multiply-add loop, its best run at the start or the end\n";
  TextTable t({{"threads"}, {"GFLOP/s"}});
  t.add_row({"1", fixed(r.peak_one_thread.gflops, 1)});
  if (r.machine.threads != 1)
    t.add_row({std::to_string(r.peak_all_threads.threads), fixed(r.peak_all_threads.gflops, 1)});
  out << t.str();
}

void gemm_table(const Report& r, std::ostringstream& out) {
  const bool torch = !r.gemm.empty() && r.gemm.front().torch.has_value();
  out << "\nGEMM 1024x1024x1024 (C = A B, fp32, row-major), % of the FMA peak on as many threads"
      << (torch ? "; ratio = ours / PyTorch, higher is better" : "") << "\n";
  std::vector<TextTable::Column> columns = {{"threads"}, {"ours GFLOP/s"}, {"% of peak"}};
  if (torch) columns.insert(columns.end(), {{"PyTorch GFLOP/s"}, {"ratio"}});
  TextTable t(columns);
  for (const GemmRow& row : r.gemm) {
    const double ours = gflops(row.gemm.flops(), row.ours.median_seconds);
    std::vector<std::string> cells = {
        std::to_string(row.gemm.threads), fixed(ours, 1),
        fixed(percent_of(ours, r.peak_for(row.gemm.threads).gflops), 1)};
    if (row.torch) {
      const double theirs = gflops(row.gemm.flops(), row.torch->timing.median_seconds);
      cells.insert(cells.end(), {fixed(theirs, 1), fixed(ours / theirs, 2)});
    }
    t.add_row(cells);
  }
  out << t.str();
}

// ours GFLOP/s, % of peak, and PyTorch's GFLOP/s, layout and the ratio when measured.
void pass_cells(std::vector<std::string>& cells, double flops, const Timing& ours,
                const TorchFigure* torch, double peak, bool torch_columns) {
  const double g = gflops(flops, ours.median_seconds);
  cells.insert(cells.end(), {fixed(g, 1), fixed(percent_of(g, peak), 1)});
  if (!torch_columns) return;
  if (torch == nullptr) {
    cells.insert(cells.end(), {"-", "-", "-"});
    return;
  }
  const double theirs = gflops(flops, torch->timing.median_seconds);
  cells.insert(cells.end(), {fixed(theirs, 1), short_layout(torch->layout), fixed(g / theirs, 2)});
}

void layer_table(const Report& r, std::ostringstream& out) {
  bool torch = false;
  for (const LayerRow& row : r.layers) torch = torch || row.torch.has_value();
  const double peak = r.peak_all_threads.gflops;
  out << "\nConvolution layers (bias-free; ours NHWC with HWIO weights): GFLOP/s and % of the "
      << r.machine.threads << "-thread FMA peak"
      << (torch
              ? ";\nPyTorch's GFLOP/s, its faster layout (nchw or cl = channels_last), and ratio = "
                "ours / PyTorch, higher is better"
              : "")
      << "\n";
  std::vector<TextTable::Column> columns = {
      {"layer", false}, {"shape", false}, {"fwd MFLOP"}, {"algorithm: fwd/dx/dW", false}};
  const int per_pass = torch ? 5 : 2;
  for (int pass = 0; pass < 2; ++pass) {
    columns.insert(columns.end(), {{"ours"}, {"%peak"}});
    if (torch) columns.insert(columns.end(), {{"torch"}, {"layout", false}, {"ratio"}});
  }
  TextTable t(columns);
  t.set_groups({{"", 4}, {"forward GFLOP/s", per_pass}, {"forward+backward GFLOP/s", per_pass}});
  std::string group;
  for (const LayerRow& row : r.layers) {
    const ConvCase& c = row.layer;
    const std::string this_group = c.model + ", batch " + std::to_string(c.batch);
    if (this_group != group) t.add_heading(this_group);
    group = this_group;
    const ConvAlgorithms& a = row.ours.algorithms;
    std::string algorithm = a.forward;
    algorithm.append("/").append(a.backward_data).append("/").append(a.backward_weight);
    std::vector<std::string> cells = {c.layer, c.shape_text(), fixed(c.forward_flops() / 1e6, 1),
                                      algorithm};
    pass_cells(cells, c.forward_flops(), row.ours.forward,
               row.torch ? &row.torch->forward : nullptr, peak, torch);
    pass_cells(cells, c.forward_backward_flops(), row.ours.forward_backward,
               row.torch ? &row.torch->forward_backward : nullptr, peak, torch);
    t.add_row(cells);
  }
  out << t.str();
}

// A peer's figure in the row's unit (`layout` too when not empty), and ours / peer.
void peer_cells(std::vector<std::string>& cells, const ModelCase& m, double ours, double seconds,
                double scale, const std::string& layout) {
  const double theirs = model_metric(m, seconds) * scale;
  cells.push_back(fixed(theirs, 1));
  if (!layout.empty()) cells.push_back(short_layout(layout));
  cells.push_back(fixed(ours / theirs, 2));
}

// The warning when a peer's model differs in size from ours.
void parameter_warning(std::vector<std::string>& warnings, const ModelRow& row, const char* peer,
                       int64_t parameters) {
  if (parameters == row.ours.parameters) return;
  const std::string w = row.model.model + ": " + peer + "'s model has " +
                        std::to_string(parameters) + " parameters, ours " +
                        std::to_string(row.ours.parameters);
  if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(w);
}

void model_table(const Report& r, std::ostringstream& out) {
  bool torch = false, ort = false;
  for (const ModelRow& row : r.models) {
    torch = torch || row.torch.has_value();
    ort = ort || row.ort.has_value();
  }
  const std::string ratios = torch && ort ? "ours/PyTorch and ours/ORT (ONNX Runtime)"
                             : torch      ? "ours/PyTorch"
                                          : "ours/ORT (ONNX Runtime)";
  out << "\nModels: training images/s (higher is better) and inference latency in ms per batch "
         "(lower is better)";
  if (torch || ort)
    out << ";\n"
        << ratios
        << " = ours / theirs in the row's own unit, so above 1 is better for images/s and below 1 "
           "for latency";
  out << "\n";
  std::vector<TextTable::Column> columns = {{"model", false}, {"work", false}, {"batch"},
                                            {"input", false}, {"unit", false}, {"ours"}};
  if (torch) columns.insert(columns.end(), {{"PyTorch"}, {"layout", false}, {"ours/PyTorch"}});
  if (ort) columns.insert(columns.end(), {{"ONNX Runtime"}, {"ours/ORT"}});
  TextTable t(columns);
  std::vector<std::string> warnings;
  for (const ModelRow& row : r.models) {
    const ModelCase& m = row.model;
    const bool throughput = model_metric_is_throughput(m);
    const double scale = throughput ? 1.0 : 1000.0;  // latency in ms
    const double ours = model_metric(m, row.ours.timing.median_seconds) * scale;
    std::vector<std::string> cells = {
        m.model,
        throughput ? "SGD step: forward, loss, backward, update"
                   : "prepared forward (cnn::prepare)",
        std::to_string(m.batch),
        std::to_string(m.height) + "x" + std::to_string(m.width) + "x" + std::to_string(m.channels),
        throughput ? "images/s" : "ms",
        fixed(ours, 1)};
    if (torch && row.torch) {
      peer_cells(cells, m, ours, row.torch->figure.timing.median_seconds, scale,
                 row.torch->figure.layout);
      parameter_warning(warnings, row, "PyTorch", row.torch->parameters);
    } else if (torch) {
      cells.insert(cells.end(), {"-", "-", "-"});
    }
    if (ort && row.ort) {
      peer_cells(cells, m, ours, row.ort->timing.median_seconds, scale, "");
      parameter_warning(warnings, row, "the ONNX file", row.ort->parameters);
    } else if (ort) {
      cells.insert(cells.end(), {"-", "-"});
    }
    t.add_row(cells);
  }
  out << t.str();
  for (const std::string& w : warnings) out << "Warning: " << w << "\n";
}

}  // namespace

std::string format_text(const Report& report) {
  std::ostringstream out;
  header(report, out);
  peak_table(report, out);
  if (report.has_gemm) gemm_table(report, out);
  if (report.has_layers) layer_table(report, out);
  if (report.has_models) model_table(report, out);
  return out.str();
}

}  // namespace cnn::bench
