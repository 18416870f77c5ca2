// cnn::prepare: the model's inference graph (onnx/graph.h: the exporter's trace of a module, or
// an imported model's own graph) run step by step: convolutions by PreparedConv2d
// (kernels/conv2d_prepared.h), Gemm classifiers by PreparedLinear, max and global average pools
// by their kernels, all into a planned arena; every other node by its ONNX op.
// docs/ARCHITECTURE.md, "Prepared inference", has the why.
#include "cnn/prepare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/onnx/onnx.h"
#include "cnn/parallel.h"
#include "infer/prepared_steps.h"
#include "kernels/cpu/isa.h"
#include "kernels/pool.h"
#include "onnx/export_model.h"
#include "onnx/graph.h"
#include "onnx/window.h"

namespace cnn {
namespace {

using infer::make_step;
using infer::pool_geometry;
using infer::Step;
using infer::StepKind;
using onnx::Graph;
using onnx::Node;
using onnx::Slot;
using onnx::Value;

const onnx::Perm kNHWC{0, 2, 3, 1};

// Where a prepared step's output goes: the arena, or (a graph output, which is the caller's) a
// tensor of its own.
enum class Place { op, arena, fresh };

// What one input shape needs: each prepared step's geometry and output place.
struct Plan {
  std::vector<Place> place;                       // per step
  std::vector<int64_t> offset;                    // per step: arena offset in floats
  std::vector<Shape> shape;                       // per step: its output (NHWC for images)
  std::vector<kernels::Conv2dGeometry> geometry;  // per step (convolutions)
  std::vector<kernels::PoolGeometry> pool;        // per step (pools)
  std::vector<bool> fuse_residual;                // per step
  std::vector<int> last_use;                      // per value id: the last step reading it
  int64_t scratch_offset = 0;                     // the convolutions' scratch, after the outputs
  int64_t arena_floats = 0;
};

// The NHWC shapes a run by the ops saw at each prepared convolution.
struct Recorded {
  explicit Recorded(size_t steps) : input(steps), residual(steps), output(steps) {}
  std::vector<Shape> input, residual, output;
};

std::string plan_key(const Shape& shape) {
  return to_string(shape) + "/" + std::to_string(num_threads()) + "/" +
         kernels::cpu::isa_name(kernels::cpu::kernel_isa());
}

// Offsets for buffers alive over [start, end] (closed), largest first, each at the lowest
// offset that overlaps no placed buffer alive at the same time. Returns the arena's size.
int64_t place(const std::vector<int64_t>& size, const std::vector<int>& start,
              const std::vector<int>& end, std::vector<int64_t>& offset) {
  std::vector<size_t> order(size.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return size[a] > size[b]; });
  offset.assign(size.size(), -1);
  int64_t total = 0;
  std::vector<size_t> placed;
  for (size_t i : order) {
    std::vector<std::pair<int64_t, int64_t>> taken;  // [begin, end) of live neighbours
    for (size_t j : placed)
      if (start[j] <= end[i] && start[i] <= end[j])
        taken.emplace_back(offset[j], offset[j] + size[j]);
    std::sort(taken.begin(), taken.end());
    int64_t at = 0;
    for (const auto& [b, e] : taken) {
      if (at + size[i] <= b) break;
      at = std::max(at, e);
    }
    offset[i] = at;
    total = std::max(total, at + size[i]);
    placed.push_back(i);
  }
  return total;
}

}  // namespace

struct PreparedModel::Impl {
  std::shared_ptr<nn::Module> module;
  PrepareOptions options;
  std::shared_ptr<const Graph> graph;
  Shape traced_shape;  // the input shape a module's graph was traced with (not for onnx::Model)
  std::vector<std::pair<Tensor, uint64_t>> watched;  // the sources and their versions
  std::vector<Step> steps;                           // per node of graph->inference
  std::map<std::string, Plan> plans;
  Tensor arena;
  int64_t builds = 0;

  void build(const Shape& shape);
  // Whether x needs the graph built again: a changed source, or a module traced for images of
  // another size (the batch may differ: the trace's batch dimension is symbolic).
  bool needs_build(const Shape& shape) const;
  const Plan& plan_for(const Shape& shape);
  Plan make_plan(const Shape& shape);
  // times: when set, each step's seconds are appended to times[step]
  std::vector<Value> run(const Tensor& x, const Plan* plan, Recorded* record,
                         std::vector<std::vector<double>>* times = nullptr);
  bool is_stale() const;
};

void PreparedModel::Impl::build(const Shape& shape) {
  if (auto* imported = dynamic_cast<onnx::Model*>(module.get())) {
    CNN_CHECK(imported->options().nhwc_interface,
              "prepare: the ONNX model was loaded with "
              "nhwc_interface = false; prepared models take cnn's NHWC layout");
    graph = std::shared_ptr<const Graph>(module, &imported->graph());
    traced_shape.clear();
  } else {
    const ::onnx::ModelProto proto = onnx::export_model(*module, shape, {});
    onnx::LoadOptions load;
    load.check = false;  // the exporter checked it
    graph = Graph::build(proto, ".", "prepared " + module->type(), load);
    traced_shape = shape;
  }
  steps.clear();
  steps.resize(graph->inference.size());
  for (size_t i = 0; i < graph->inference.size(); ++i)
    steps[i] = make_step(*graph, graph->inference[i]);
  watched.clear();
  for (const auto& [name, t] : module->named_parameters()) watched.emplace_back(t, t.version());
  for (const auto& [name, t] : module->named_buffers()) watched.emplace_back(t, t.version());
  plans.clear();
  ++builds;
}

bool PreparedModel::Impl::needs_build(const Shape& shape) const {
  if (is_stale()) return true;
  if (traced_shape.empty()) return false;
  return shape.size() != traced_shape.size() ||
         !std::equal(shape.begin() + 1, shape.end(), traced_shape.begin() + 1);
}

bool PreparedModel::Impl::is_stale() const {
  for (const auto& [t, version] : watched)
    if (t.version() != version) return true;
  return false;
}

// The input a prepared step reads: NHWC for images, the logical matrix for a Gemm.
Tensor step_input(StepKind kind, const Value& v) {
  return kind == StepKind::linear ? logical(v) : stored_as(v, kNHWC);
}

// Runs the inference plan on x: prepared steps with `plan` (null: every node by its op,
// recording into `record` the shapes each step the prepared path could take sees).
std::vector<Value> PreparedModel::Impl::run(const Tensor& x, const Plan* plan, Recorded* record,
                                            std::vector<std::vector<double>>* times) {
  const Graph& g = *graph;
  CNN_CHECK(g.inputs.size() == 1, "prepare: the model takes ", g.inputs.size(),
            " inputs; prepared models take one");
  std::vector<Value> env = g.environment();
  env[static_cast<size_t>(g.inputs[0])] =
      x.dim() == 4 ? onnx::value_of(x, kNHWC) : onnx::value_of(x);
  onnx::RunContext context;
  const int64_t elements = g.data_elements + x.numel();
  context.max_elements = std::max(int64_t{1} << 24, elements * 1024);
  std::vector<Value> args;
  const std::vector<int>* last_use = plan != nullptr ? &plan->last_use : nullptr;
  for (size_t step = 0; step < g.inference.size(); ++step) {
    const Node& n = g.inference[step];
    const Step& s = steps[step];
    const auto started = std::chrono::steady_clock::now();
    if (plan != nullptr && plan->place[step] != Place::op) {
      const Tensor in = step_input(s.kind, env[static_cast<size_t>(n.inputs[0])]);
      const Shape& out_shape = plan->shape[step];
      Tensor y = plan->place[step] == Place::fresh
                     ? Tensor::empty(out_shape)
                     : Tensor::view_of(arena.storage(), out_shape, contiguous_strides(out_shape),
                                       plan->offset[step], DType::f32);
      switch (s.kind) {
        case StepKind::conv: {
          const kernels::Conv2dGeometry& geo = plan->geometry[step];
          CNN_CHECK(in.shape() == Shape({geo.batch, geo.in_h, geo.in_w, geo.in_c}), n.where(),
                    ": the input is ", to_string(in.shape()), " where the plan has [", geo.batch,
                    ", ", geo.in_h, ", ", geo.in_w, ", ", geo.in_c, "]");
          Tensor residual;
          kernels::Conv2dEpilogue e{.relu = s.conv.relu, .relu_max = s.conv.relu_max};
          if (plan->fuse_residual[step]) {
            residual = stored_as(env[static_cast<size_t>(n.inputs[7])], kNHWC);
            e.residual = residual.data();
          }
          s.conv.conv->forward(geo, in.data(), y.data(), e, arena.data() + plan->scratch_offset);
          break;
        }
        case StepKind::linear:
          CNN_CHECK(in.dim() == 2 && in.size(1) == s.linear->in_features(), n.where(),
                    ": the input is ", to_string(in.shape()), " where the plan has [", out_shape[0],
                    ", ", s.linear->in_features(), "]");
          s.linear->forward(in.size(0), in.data(), y.data());
          break;
        case StepKind::max_pool:
          kernels::max_pool2d_forward(plan->pool[step], in.data(), y.data(), nullptr);
          break;
        case StepKind::global_avg_pool:
          kernels::adaptive_avg_pool2d_forward(plan->pool[step], in.data(), y.data());
          break;
        case StepKind::op:
          break;
      }
      env[static_cast<size_t>(n.outputs[0])] =
          s.kind == StepKind::linear ? onnx::value_of(y) : onnx::value_of(y, kNHWC);
    } else {
      args.clear();
      for (int id : n.inputs) {
        CNN_CHECK(id < 0 || env[static_cast<size_t>(id)].defined(), n.where(), ": input '",
                  g.slots[static_cast<size_t>(id)].name, "' has no value");
        args.push_back(id >= 0 ? env[static_cast<size_t>(id)] : Value{});
      }
      const int rank = s.kind == StepKind::linear ? 2 : 4;
      if (record != nullptr && s.kind != StepKind::op && !args.empty() && args[0].rank() == rank) {
        record->input[step] = step_input(s.kind, args[0]).shape();
        if (s.kind == StepKind::conv && n.fusion.residual && onnx::present(args, 7) &&
            args[7].rank() == 4)
          record->residual[step] = stored_as(args[7], kNHWC).shape();
      }
      std::vector<Value> results = onnx::run_node(n, args, context);
      if (record != nullptr && s.kind != StepKind::op && !results.empty() &&
          results[0].rank() == rank)
        record->output[step] = step_input(s.kind, results[0]).shape();
      for (size_t k = 0; k < n.outputs.size() && k < results.size(); ++k)
        if (n.outputs[k] >= 0) env[static_cast<size_t>(n.outputs[k])] = std::move(results[k]);
    }
    if (times != nullptr)
      (*times)[step].push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (last_use != nullptr)
      for (int id : n.inputs)
        if (id >= 0 && (*last_use)[static_cast<size_t>(id)] == static_cast<int>(step) &&
            g.slots[static_cast<size_t>(id)].kind == Slot::Kind::computed)
          env[static_cast<size_t>(id)] = Value{};
  }
  std::vector<Value> out;
  for (int id : g.outputs) {
    CNN_CHECK(env[static_cast<size_t>(id)].defined(), "prepare: graph output '",
              g.slots[static_cast<size_t>(id)].name, "' was not computed");
    out.push_back(env[static_cast<size_t>(id)]);
  }
  return out;
}

Plan PreparedModel::Impl::make_plan(const Shape& shape) {
  const Graph& g = *graph;
  const size_t count = g.inference.size();
  // one run of every node by its op gives each step's input, residual and output shape
  Recorded rec(count);
  {
    Generator gen(0);
    run(Tensor::normal(shape, 0.0f, 1.0f, gen), nullptr, &rec);
  }
  Plan plan;
  plan.place.assign(count, Place::op);
  plan.offset.assign(count, -1);
  plan.shape.resize(count);
  plan.geometry.resize(count);
  plan.pool.resize(count);
  plan.fuse_residual.assign(count, false);
  std::vector<bool> graph_output(g.slots.size(), false);
  for (int id : g.outputs) graph_output[static_cast<size_t>(id)] = true;
  for (size_t step = 0; step < count; ++step) {
    const Node& n = g.inference[step];
    const Step& s = steps[step];
    const Shape& xs = rec.input[step];
    const Shape& ys = rec.output[step];
    if (s.kind == StepKind::op || xs.empty() || ys.empty()) continue;
    if (s.kind == StepKind::conv) {
      // a residual that needs broadcasting is left to the op
      if (n.fusion.residual && rec.residual[step] != ys) continue;
      const kernels::Conv2dGeometry& wg = s.conv.weight_geometry;
      const onnx::Window win = onnx::window(n, 4, xs[1], xs[2], Size2(wg.kernel_h, wg.kernel_w));
      const kernels::Conv2dGeometry geo = kernels::make_conv2d_geometry(
          xs, {wg.kernel_h, wg.kernel_w, wg.in_c / wg.groups, wg.out_c}, wg.groups, win.stride,
          win.pad, win.dilation);
      if (Shape{geo.batch, geo.out_h, geo.out_w, geo.out_c} != ys) continue;
      plan.geometry[step] = geo;
      plan.fuse_residual[step] = n.fusion.residual;
    } else if (s.kind == StepKind::linear) {
      if (ys != Shape{xs[0], s.linear->out_features()}) continue;
    } else {
      if (xs[0] != ys[0] || xs[3] != ys[3]) continue;
      plan.pool[step] = pool_geometry(n, s.kind, xs, ys);
    }
    plan.shape[step] = ys;
    plan.place[step] =
        graph_output[static_cast<size_t>(n.outputs[0])] ? Place::fresh : Place::arena;
  }
  // Lifetimes: a buffer lives from its step to the last step that reads any value that may
  // alias it (ops like Reshape and Flatten return views of their input), to the end when a
  // graph output may alias it (forward() copies such an output out).
  std::vector<std::set<size_t>> aliases(g.slots.size());  // value id -> buffers
  std::vector<int> last_use(g.slots.size(), -1), start, end;
  std::vector<int64_t> size;
  std::vector<size_t> buffer_step;
  for (size_t step = 0; step < count; ++step) {
    const Node& n = g.inference[step];
    for (int id : n.inputs)
      if (id >= 0) last_use[static_cast<size_t>(id)] = static_cast<int>(step);
    if (plan.place[step] == Place::arena) {
      aliases[static_cast<size_t>(n.outputs[0])] = {size.size()};
      start.push_back(static_cast<int>(step));
      end.push_back(static_cast<int>(step));
      int64_t floats = 1;
      for (int64_t d : plan.shape[step]) floats *= d;
      size.push_back((floats + 15) / 16 * 16);  // each buffer 64-byte aligned
      buffer_step.push_back(step);
      continue;
    }
    if (plan.place[step] == Place::fresh) continue;
    std::set<size_t> from;
    for (int id : n.inputs)
      if (id >= 0)
        from.insert(aliases[static_cast<size_t>(id)].begin(),
                    aliases[static_cast<size_t>(id)].end());
    for (int id : n.outputs)
      if (id >= 0) aliases[static_cast<size_t>(id)] = from;
  }
  for (size_t id = 0; id < g.slots.size(); ++id) {
    const int last = graph_output[id] ? static_cast<int>(count) : last_use[id];
    for (size_t b : aliases[id]) end[b] = std::max(end[b], last);
  }
  std::vector<int64_t> offsets;
  plan.arena_floats = place(size, start, end, offsets);
  for (size_t b = 0; b < offsets.size(); ++b) plan.offset[buffer_step[b]] = offsets[b];
  plan.last_use = std::move(last_use);
  // the convolutions' scratch (one at a time) after the outputs; the weights packed for the
  // rows the classifiers see
  int64_t scratch = 0;
  for (size_t step = 0; step < count; ++step) {
    const Step& s = steps[step];
    if (plan.place[step] == Place::op) continue;
    if (s.kind == StepKind::linear) s.linear->prepare(plan.shape[step][0]);
    if (s.kind != StepKind::conv) continue;
    s.conv.conv->prepare(plan.geometry[step], options.measure, plan.fuse_residual[step]);
    scratch = std::max(scratch,
                       s.conv.conv->scratch_floats(plan.geometry[step], plan.fuse_residual[step]));
  }
  plan.scratch_offset = (plan.arena_floats + 15) / 16 * 16;
  plan.arena_floats = plan.scratch_offset + scratch;
  return plan;
}

const Plan& PreparedModel::Impl::plan_for(const Shape& shape) {
  const std::string key = plan_key(shape);
  auto it = plans.find(key);
  if (it == plans.end()) {
    it = plans.emplace(key, make_plan(shape)).first;
    const int64_t floats = it->second.arena_floats;
    if (!arena.defined() || arena.numel() < floats)
      arena = Tensor::empty({std::max<int64_t>(floats, 16)});
  }
  return it->second;
}

PreparedModel::PreparedModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PreparedModel::~PreparedModel() = default;

Tensor PreparedModel::forward(const Tensor& x) {
  CNN_CHECK(x.defined(), "prepared model: the input is undefined");
  CNN_CHECK(x.dtype() == DType::f32, "prepared model: the input must be float32, got ",
            dtype_name(x.dtype()));
  if (impl_->needs_build(x.shape())) impl_->build(x.shape());
  const autograd::NoGradGuard no_grad;
  const Plan& plan = impl_->plan_for(x.shape());
  std::vector<Value> out = impl_->run(x.contiguous(), &plan, nullptr);
  Tensor y = out[0].rank() == 4 ? stored_as(out[0], kNHWC) : logical(out[0]);
  // nothing returned may live in the arena, which the next call overwrites
  if (y.storage() == impl_->arena.storage()) y = y.clone();
  return y;
}

bool PreparedModel::stale() const {
  return impl_->is_stale();
}

void PreparedModel::refresh() {
  impl_->build(impl_->traced_shape);
}

std::vector<PreparedStep> PreparedModel::steps(const Shape& input_shape) {
  if (impl_->needs_build(input_shape)) impl_->build(input_shape);
  const autograd::NoGradGuard no_grad;
  const Plan& plan = impl_->plan_for(input_shape);
  std::vector<PreparedStep> out;
  const Graph& g = *impl_->graph;
  for (size_t i = 0; i < g.inference.size(); ++i) {
    const Node& n = g.inference[i];
    PreparedStep s;
    s.op = n.op;
    for (const std::string& absorbed : n.fusion.absorbed) s.op += "+" + absorbed;
    s.name = n.name;
    if (plan.place[i] != Place::op) {
      s.output_shape = plan.shape[i];
      switch (impl_->steps[i].kind) {
        case StepKind::conv: {
          const kernels::Conv2dGeometry& c = plan.geometry[i];
          s.algorithm = kernels::conv2d_prepared_choice(c, plan.fuse_residual[i]);
          s.flops = 2.0 * static_cast<double>(c.batch * c.out_h * c.out_w * c.out_c) *
                    static_cast<double>(c.kernel_h * c.kernel_w * c.group_in());
          break;
        }
        case StepKind::linear: {
          const kernels::PreparedLinear& l = *impl_->steps[i].linear;
          s.algorithm = "linear";
          s.flops = 2.0 * static_cast<double>(plan.shape[i][0]) *
                    static_cast<double>(l.out_features() * l.in_features());
          break;
        }
        default:
          s.algorithm = "pool";
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<PreparedStep> PreparedModel::profile(const Tensor& x, int runs) {
  CNN_CHECK(runs >= 1, "prepared model: profile needs at least one run, got ", runs);
  forward(x);  // prepares, rebuilds if stale, warms up
  const autograd::NoGradGuard no_grad;
  const Plan& plan = impl_->plan_for(x.shape());
  std::vector<std::vector<double>> times(impl_->graph->inference.size());
  const Tensor dense = x.contiguous();
  for (int r = 0; r < runs; ++r) impl_->run(dense, &plan, nullptr, &times);
  std::vector<PreparedStep> out = steps(x.shape());
  for (size_t i = 0; i < out.size(); ++i) {
    std::vector<double>& t = times[i];
    std::sort(t.begin(), t.end());
    out[i].seconds = t[t.size() / 2];
  }
  return out;
}

int64_t PreparedModel::arena_bytes() const {
  return impl_->arena.defined() ? impl_->arena.numel() * 4 : 0;
}

int64_t PreparedModel::packed_bytes() const {
  int64_t bytes = 0;
  for (const Step& s : impl_->steps) {
    if (s.conv.conv) bytes += s.conv.conv->packed_bytes();
    if (s.linear) bytes += s.linear->packed_bytes();
  }
  return bytes;
}

int64_t PreparedModel::builds() const {
  return impl_->builds;
}

std::shared_ptr<PreparedModel> prepare(std::shared_ptr<nn::Module> module, const Shape& input_shape,
                                       const PrepareOptions& options) {
  CNN_CHECK(module != nullptr, "prepare: the module is null");
  CNN_CHECK(!input_shape.empty(), "prepare: the input shape is empty; give [N, H, W, C]");
  for (int64_t d : input_shape)
    CNN_CHECK(d >= 1, "prepare: the input shape ", to_string(input_shape),
              " has an extent below 1");
  auto impl = std::make_unique<PreparedModel::Impl>();
  impl->module = std::move(module);
  impl->options = options;
  impl->build(input_shape);
  auto prepared = std::make_shared<PreparedModel>(std::move(impl));
  prepared->steps(input_shape);  // the plan of the given shape, measured now
  return prepared;
}

}  // namespace cnn
