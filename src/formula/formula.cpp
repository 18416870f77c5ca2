// cnn::Formula: parsing once, analysis cached per input shapes, each statement one autograd
// node whose backward runs the derived gradient statements (derive.h).
#include "cnn/formula.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/trace.h"
#include "formula/analysis.h"
#include "formula/derive.h"
#include "formula/evaluate.h"
#include "formula/lower.h"
#include "formula/parser.h"

namespace cnn {

namespace formulas {

struct Plan {
  std::mutex mutex;
  std::map<std::vector<Shape>, std::shared_ptr<const Analysis>> analyses;
  bool lower = true;
  // The last shapes a call used and their analysis: the per-call check that a layer called
  // with the same shapes again (every training step) makes without allocating.
  std::vector<Shape> last_key;
  std::shared_ptr<const Analysis> last;
};

namespace {

constexpr size_t kMaxCachedShapes = 64;

std::shared_ptr<const Analysis> analysis_for(const Program& program, Plan& plan,
                                             const std::map<std::string, Shape>& shapes) {
  std::vector<Shape> key;
  for (int id : program.inputs) {
    const auto found = shapes.find(program.tensors[id].name);
    key.push_back(found != shapes.end() ? found->second : Shape{-1});
  }
  {
    const std::lock_guard lock(plan.mutex);
    const auto found = plan.analyses.find(key);
    if (found != plan.analyses.end() && key.size() == shapes.size()) {
      plan.last_key = key;
      plan.last = found->second;
      return found->second;
    }
  }
  auto fresh = std::make_shared<Analysis>(analyze(program, shapes));
  fresh->lowerings = plan.lower ? lower(program, fresh->loops, fresh->shapes)
                                : std::vector<std::optional<Lowering>>(fresh->loops.size());
  for (size_t s = 0; s < fresh->loops.size(); ++s) {
    fresh->contractions.push_back(
        fresh->lowerings[s] ? std::nullopt : plan_contraction(fresh->loops[s], fresh->shapes));
  }
  std::shared_ptr<const Analysis> analysis = fresh;
  const std::lock_guard lock(plan.mutex);
  if (plan.analyses.size() >= kMaxCachedShapes) plan.analyses.clear();
  plan.analyses.emplace(key, analysis);
  plan.last_key = key;
  plan.last = analysis;
  return analysis;
}

// The last analysis when `inputs` are exactly the program's inputs, float32, with its shapes.
std::shared_ptr<const Analysis> last_analysis(const Program& program, Plan& plan,
                                              const std::map<std::string, Tensor>& inputs) {
  const std::lock_guard lock(plan.mutex);
  if (!plan.last || inputs.size() != program.inputs.size()) return nullptr;
  for (size_t k = 0; k < program.inputs.size(); ++k) {
    const auto found = inputs.find(program.tensors[static_cast<size_t>(program.inputs[k])].name);
    if (found == inputs.end() || !found->second.defined() || found->second.dtype() != DType::f32 ||
        found->second.shape() != plan.last_key[k]) {
      return nullptr;
    }
  }
  return plan.last;
}

std::vector<std::string> names_of(const Program& program) {
  std::vector<std::string> names;
  for (const TensorName& t : program.tensors) names.push_back(t.name);
  return names;
}

// The tensors a statement reads, each once, in order of first read.
std::vector<int> reads_of(const Expr& e) {
  std::vector<int> ids;
  std::function<void(const Expr&)> visit = [&](const Expr& x) {
    if (x.kind == Expr::Kind::read && std::find(ids.begin(), ids.end(), x.tensor) == ids.end()) {
      ids.push_back(x.tensor);
    }
    for (const ExprPtr& a : x.args) visit(*a);
  };
  visit(e);
  return ids;
}

// Runs a statement's backward steps; returns the gradient of each tensor in `ids` (undefined
// where not wanted).
autograd::TensorList run_backward_steps(const Backward& bw, const std::vector<int>& ids,
                                        const autograd::TensorList& values, const Tensor& grad_out,
                                        const std::vector<Tensor>& saved,
                                        const std::vector<Tensor>& winners) {
  Buffers buffers;
  buffers.data.assign(bw.names.size(), nullptr);
  buffers.shapes = bw.shapes;
  for (size_t k = 0; k < ids.size(); ++k) buffers.data[ids[k]] = values[k].data();
  const Tensor dy = grad_out.contiguous();
  buffers.data[bw.grad_output] = dy.data();
  for (size_t k = 0; k < bw.saved.size(); ++k) {
    if (bw.saved[k] >= 0) buffers.data[bw.saved[k]] = saved[k].data();
  }
  buffers.tables.assign(bw.winners.size(), nullptr);
  for (size_t k = 0; k < bw.winners.size(); ++k) {
    if (bw.winners[k]) buffers.tables[k] = winners[k].data_i64();
  }
  std::map<int, Tensor> targets;
  for (const auto& [input, grad] : bw.grad_of) {
    targets[grad] = Tensor::zeros(bw.shapes[grad]);
    buffers.data[grad] = targets[grad].data();
  }
  for (const Backward::Step& step : bw.steps) {
    const int target = step.loop.statement.target;
    if (!targets.contains(target)) {
      targets[target] = Tensor::zeros(bw.shapes[target]);
      buffers.data[target] = targets[target].data();
    }
    if (step.contraction) {
      run_contraction(*step.contraction, buffers, targets[target].data(), step.accumulate);
    } else {
      run(step.loop, buffers, targets[target].data(), step.accumulate);
    }
  }
  autograd::TensorList grads(ids.size());
  for (size_t k = 0; k < ids.size(); ++k) {
    const auto found = bw.grad_of.find(ids[k]);
    if (found != bw.grad_of.end()) grads[k] = targets.at(found->second);
  }
  return grads;
}

// The gradients of statement `index` for the reads in `wanted`, derived once per analysis.
std::shared_ptr<const Backward> backward_for(const Analysis& analysis, size_t index,
                                             const std::vector<int>& wanted,
                                             const Program& program) {
  BackwardCache& cache = *analysis.backwards;
  auto key = std::make_pair(index, wanted);
  {
    const std::lock_guard lock(cache.mutex);
    const auto found = cache.entries.find(key);
    if (found != cache.entries.end()) return found->second;
  }
  auto bw = std::make_shared<Backward>(
      derive(analysis.loops[index], names_of(program), analysis.shapes, wanted));
  for (Backward::Step& step : bw->steps) step.contraction = plan_contraction(step.loop, bw->shapes);
  const std::lock_guard lock(cache.mutex);
  return cache.entries.emplace(std::move(key), std::move(bw)).first->second;
}

}  // namespace
}  // namespace formulas

using formulas::Analysis;
using formulas::Program;

Formula::Formula(std::string_view text, const FormulaOptions& options)
    : program_(std::make_shared<const Program>(formulas::parse(text, options))),
      plans_(std::make_shared<formulas::Plan>()) {
  plans_->lower = options.lower;
  for (int id : program_->inputs) input_names_.push_back(program_->tensors[id].name);
}

const std::vector<std::string>& Formula::inputs() const {
  return input_names_;
}

std::map<std::string, int64_t> Formula::input_ranks() const {
  std::map<std::string, int64_t> ranks;
  std::function<void(const formulas::Expr&)> visit = [&](const formulas::Expr& e) {
    if (e.kind == formulas::Expr::Kind::read &&
        program_->tensors[static_cast<size_t>(e.tensor)].defined_by < 0) {
      ranks.emplace(program_->tensors[static_cast<size_t>(e.tensor)].name,
                    static_cast<int64_t>(e.index.size()));
    }
    for (const auto& a : e.args) visit(*a);
  };
  for (const formulas::Statement& s : program_->statements) visit(*s.rhs);
  return ranks;
}

const std::string& Formula::output() const {
  return program_->tensors[program_->statements.back().target].name;
}

std::string Formula::to_string() const {
  const auto names = formulas::names_of(*program_);
  std::string text;
  for (const formulas::Statement& s : program_->statements) {
    formulas::Statement explicit_sums = s;
    std::function<formulas::ExprPtr(const formulas::ExprPtr&)> show =
        [&](const formulas::ExprPtr& e) -> formulas::ExprPtr {
      if (e->args.empty()) return e;
      auto copy = std::make_shared<formulas::Expr>(*e);
      copy->implicit = false;
      for (auto& a : copy->args) a = show(a);
      return copy;
    };
    explicit_sums.rhs = show(s.rhs);
    if (!text.empty()) text.push_back('\n');
    text.append(formulas::print_statement(explicit_sums, names));
  }
  return text;
}

int64_t Formula::fan_in(const std::string& tensor, const Shape& shape) const {
  for (const formulas::Statement& s : program_->statements) {
    for (const formulas::Expr* reduction : formulas::reductions_of(*s.rhs)) {
      if (reduction->reduction != formulas::Reduction::sum &&
          reduction->reduction != formulas::Reduction::mean) {
        continue;
      }
      std::function<const formulas::Expr*(const formulas::Expr&)> find =
          [&](const formulas::Expr& e) -> const formulas::Expr* {
        if (e.kind == formulas::Expr::Kind::read && program_->tensors[e.tensor].name == tensor) {
          return &e;
        }
        for (const auto& a : e.args) {
          if (const auto* found = find(*a)) return found;
        }
        return nullptr;
      };
      const formulas::Expr* read = find(*reduction->args[0]);
      if (read == nullptr || read->index.size() != shape.size()) continue;
      int64_t n = 1;
      for (size_t k = 0; k < read->index.size(); ++k) {
        const formulas::Index& i = *read->index[k];
        if (i.op == formulas::Index::Op::variable &&
            std::find(reduction->vars.begin(), reduction->vars.end(), i.var) !=
                reduction->vars.end()) {
          n *= shape[k];
        }
      }
      return n;
    }
  }
  return 0;
}

FormulaShapes Formula::shapes(const std::map<std::string, Shape>& input_shapes) const {
  const auto analysis = formulas::analysis_for(*program_, *plans_, input_shapes);
  FormulaShapes result;
  for (size_t s = 0; s < program_->statements.size(); ++s) {
    const formulas::Loop& loop = analysis->loops[s];
    const std::string& name = program_->tensors[loop.statement.target].name;
    result.tensors[name] = analysis->shapes[loop.statement.target];
    for (size_t v = 0; v < loop.ranges.size(); ++v) {
      result.index_ranges[name + "." + loop.statement.vars[v].name] = loop.ranges[v];
    }
    result.flops += analysis->flops[s];
  }
  return result;
}

std::vector<std::string> Formula::kernels(const std::map<std::string, Shape>& input_shapes) const {
  const auto analysis = formulas::analysis_for(*program_, *plans_, input_shapes);
  std::vector<std::string> kernels;
  for (size_t s = 0; s < analysis->loops.size(); ++s) {
    const auto& lowering = analysis->lowerings[s];
    kernels.push_back(lowering                    ? lowering->kernel
                      : analysis->contractions[s] ? "contraction loop nest"
                                                  : "");
  }
  return kernels;
}

std::string Formula::gradients(const std::map<std::string, Shape>& input_shapes) const {
  const auto analysis = formulas::analysis_for(*program_, *plans_, input_shapes);
  const auto names = formulas::names_of(*program_);
  std::string text;
  for (const formulas::Loop& loop : analysis->loops) {
    const auto ids = formulas::reads_of(*loop.statement.rhs);
    const auto bw = formulas::derive(loop, names, analysis->shapes, ids);
    text += formulas::print_backward(bw);
  }
  return text;
}

std::vector<std::string> Formula::gradient_kernels(
    const std::map<std::string, Shape>& input_shapes) const {
  const auto analysis = formulas::analysis_for(*program_, *plans_, input_shapes);
  std::vector<std::string> kernels;
  for (size_t s = 0; s < analysis->loops.size(); ++s) {
    const auto ids = formulas::reads_of(*analysis->loops[s].statement.rhs);
    const auto bw = formulas::backward_for(*analysis, s, ids, *program_);
    const auto& lowering = analysis->lowerings[s];
    for (const auto& step : bw->steps) {
      kernels.push_back(lowering           ? "the backward of " + lowering->kernel
                        : step.contraction ? "contraction loop nest"
                                           : "");
    }
  }
  return kernels;
}

Tensor Formula::operator()(const std::map<std::string, Tensor>& inputs) const {
  return run_statements(inputs)[static_cast<size_t>(program_->statements.back().target)];
}

std::map<std::string, Tensor> Formula::evaluate_all(
    const std::map<std::string, Tensor>& inputs) const {
  const std::vector<Tensor> values = run_statements(inputs);
  std::map<std::string, Tensor> results;
  for (const formulas::Statement& s : program_->statements) {
    results[program_->tensors[s.target].name] = values[static_cast<size_t>(s.target)];
  }
  return results;
}

std::vector<Tensor> Formula::run_statements(const std::map<std::string, Tensor>& inputs) const {
  auto analysis = formulas::last_analysis(*program_, *plans_, inputs);
  if (!analysis) {
    std::map<std::string, Shape> shapes;
    for (const auto& [name, tensor] : inputs) {
      if (!tensor.defined()) fail("formula: input ", name, " is an undefined tensor");
      if (tensor.dtype() != DType::f32) fail("formula: input ", name, " is not float32");
      shapes[name] = tensor.shape();
    }
    analysis = formulas::analysis_for(*program_, *plans_, shapes);
  }
  std::vector<Tensor> values(program_->tensors.size());
  for (int id : program_->inputs) values[id] = inputs.at(program_->tensors[id].name).contiguous();

  for (size_t index = 0; index < analysis->loops.size(); ++index) {
    const formulas::Loop& loop = analysis->loops[index];
    const formulas::Statement& s = loop.statement;
    const auto& lowering = analysis->lowerings[index];
    if (lowering && (!lowering->applies || lowering->applies(values))) {
      if (!lowering->deferred) values[s.target] = lowering->run(values);
      continue;
    }
    // The loop nests are not ops an exporter or a prepared model could replay: refuse to be
    // traced rather than be recorded as a constant.
    CNN_CHECK(trace::detail::current_tracer == nullptr, "formula: statement ",
              program_->tensors[s.target].name,
              " runs on the general loop nest (no built-in op computes it), which cannot be "
              "traced: exporting to ONNX or preparing a model needs every statement lowered to "
              "a built-in op (cnn formula says which are)");
    const std::vector<int> ids = formulas::reads_of(*s.rhs);
    autograd::TensorList reads;
    for (int id : ids) reads.push_back(values[id]);
    const bool grad = autograd::needs_grad(reads);
    std::shared_ptr<const formulas::Backward> bw = std::make_shared<formulas::Backward>();
    if (grad) {
      std::vector<int> wanted;
      for (int id : ids) {
        if (values[id].requires_grad()) wanted.push_back(id);
      }
      bw = formulas::backward_for(*analysis, index, wanted, *program_);
    }
    Tensor out = Tensor::empty(analysis->shapes[s.target]);
    formulas::Buffers buffers;
    buffers.data.assign(program_->tensors.size(), nullptr);
    buffers.shapes = analysis->shapes;
    for (int id : ids) buffers.data[id] = values[id].data();
    formulas::Saves saves;
    std::vector<Tensor> saved(bw->saved.size());
    std::vector<Tensor> winners(bw->winners.size());
    for (size_t k = 0; k < bw->saved.size(); ++k) {
      if (bw->saved[k] >= 0) saved[k] = Tensor::empty(out.shape());
      saves.values.push_back(saved[k].defined() ? saved[k].data() : nullptr);
      if (bw->winners[k]) winners[k] = Tensor::empty(out.shape(), DType::i64);
      saves.winners.push_back(winners[k].defined() ? winners[k].data_i64() : nullptr);
    }
    if (const auto& contraction = analysis->contractions[index]) {
      formulas::run_contraction(*contraction, buffers, out.data());
    } else {
      formulas::run(loop, buffers, out.data(), false, &saves);
    }
    out.mark_modified();
    if (grad) {
      autograd::TensorList detached;
      for (const Tensor& t : reads) detached.push_back(t.detach());
      autograd::record("formula", reads, {out},
                       [bw, ids, detached, saved, winners](const autograd::TensorList& grads) {
                         return formulas::run_backward_steps(*bw, ids, detached, grads[0], saved,
                                                             winners);
                       });
    }
    values[s.target] = out;
  }
  return values;
}

}  // namespace cnn
