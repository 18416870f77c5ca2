// `cnn lab gates`: the lecture's threshold units computing AND, OR and NOT with its weights,
// wired into circuits (XOR, a 2-bit adder), and the same functions learned by SGD from their
// truth tables by a small sigmoid network.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cnn/lab/threshold_units.h"
#include "cnn/nn/activation.h"
#include "cnn/nn/linear.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/loss.h"
#include "cnn/ops/shape.h"
#include "cnn/optim/sgd.h"
#include "lab/experiment.h"

namespace cnn::lab::detail {
namespace {

using nlohmann::json;
constexpr float kJitter = 0.05f;  // inputs within 0.05 of 0 or 1

struct Wired {
  std::string name;
  std::string units;  // how many threshold units, how deep
  Tensor inputs, expected, output;
  double max_error() const {
    const std::vector<float> e = expected.to_vector(), o = output.to_vector();
    double m = 0;
    for (size_t i = 0; i < e.size(); ++i)
      m = std::max(m, std::abs(static_cast<double>(o[i] - e[i])));
    return m;
  }
  // Rows whose every output is on the right side of 1/2.
  int64_t rows_correct() const { return count_rows(output, expected); }
  static int64_t count_rows(const Tensor& out, const Tensor& expected) {
    const std::vector<float> e = expected.to_vector(), o = out.to_vector();
    const int64_t m = expected.size(1);
    int64_t correct = 0;
    for (int64_t r = 0; r < expected.size(0); ++r) {
      bool ok = true;
      for (int64_t c = 0; c < m; ++c) {
        const auto i = static_cast<size_t>(r * m + c);
        ok = ok && ((o[i] > 0.5f) == (e[i] > 0.5f));
      }
      correct += ok;
    }
    return correct;
  }
};

std::vector<Wired> wire(uint64_t seed) {
  const TruthTable two = xor_table(), add = adder2_table();
  const std::vector<Tensor> pq = near_boolean_columns(two.inputs, kJitter, seed);
  const std::vector<Tensor> ab = near_boolean_columns(add.inputs, kJitter, seed + 1);
  const std::vector<float> bits = two.inputs.to_vector();
  std::vector<float> and_t, or_t, not_t;
  for (size_t r = 0; r < 4; ++r) {
    const bool p = bits[2 * r] > 0.5f, q = bits[2 * r + 1] > 0.5f;
    and_t.push_back(p && q);
    or_t.push_back(p || q);
    not_t.push_back(!p);
  }
  const Tensor inputs = concat(pq, 1);
  return {
      {"AND", "1 unit", inputs, Tensor::from_data({4, 1}, and_t), logic_and(pq[0], pq[1])},
      {"OR", "1 unit", inputs, Tensor::from_data({4, 1}, or_t), logic_or(pq[0], pq[1])},
      {"NOT", "1 unit", pq[0], Tensor::from_data({4, 1}, not_t), logic_not(pq[0])},
      {"XOR", std::to_string(kXorUnits) + " units, 3 deep", inputs, two.targets,
       logic_xor(pq[0], pq[1])},
      {"2-bit adder", std::to_string(kAdder2Units) + " units, 6 deep", concat(ab, 1), add.targets,
       adder2(ab[0], ab[1], ab[2], ab[3])},
  };
}

// Each output bit is sigma(z): the cross-entropy of the two logits (0, z) is the logistic loss
// -[y log sigma(z) + (1 - y) log(1 - sigma(z))].
Tensor bit_loss(const Tensor& z, const Tensor& targets) {
  const int64_t n = z.numel();
  const Tensor logits = concat({Tensor::zeros({n, 1}), z.reshape({n, 1})}, 1);
  std::vector<int64_t> labels;
  for (float t : targets.to_vector()) labels.push_back(t > 0.5f ? 1 : 0);
  return cross_entropy(logits, Tensor::from_data_i64({n}, labels));
}

struct Learned {
  std::string name;
  int64_t hidden = 0;
  std::vector<double> loss, accuracy;  // per step, accuracy = fraction of rows right
  int64_t solved_at = -1;              // first step after which every row is right
  Tensor output;                       // sigma(z) after training, [rows, m]
};

// A k-hidden-m sigmoid network trained by full-batch SGD on the table.
Learned learn(const std::string& name, const TruthTable& table, int64_t hidden, int64_t steps,
              uint64_t seed) {
  Generator gen(seed);
  const int64_t k = table.inputs.size(1), m = table.targets.size(1);
  nn::Linear first(k, hidden, gen), second(hidden, m, gen);
  std::vector<Tensor> params = first.parameters();
  for (const Tensor& p : second.parameters()) params.push_back(p);
  optim::SGD sgd(params, {.lr = 0.5f, .momentum = 0.9f});
  Learned l{name, hidden, {}, {}, -1, {}};
  for (int64_t step = 1; step <= steps; ++step) {
    const Tensor z = second(sigmoid(first(table.inputs)));
    const Tensor loss = bit_loss(z, table.targets);
    sgd.zero_grad();
    loss.backward();
    sgd.step();
    l.loss.push_back(loss.item());
    const Tensor after = sigmoid(second(sigmoid(first(table.inputs))));
    const int64_t right = Wired::count_rows(after, table.targets);
    l.accuracy.push_back(static_cast<double>(right) / static_cast<double>(table.targets.size(0)));
    if (right == table.targets.size(0) && l.solved_at < 0) l.solved_at = step;
    if (right < table.targets.size(0)) l.solved_at = -1;  // solved means: and stayed so
    l.output = after;
  }
  return l;
}

std::string row_text(const Tensor& t, int64_t r) {
  std::ostringstream s;
  for (int64_t c = 0; c < t.size(1); ++c) s << (c ? " " : "") << num(t.at({r, c}));
  return s.str();
}

// 4 s2 + 2 s1 + s0 of each row, from outputs [16, 3].
std::vector<double> sums(const Tensor& bits) {
  std::vector<double> v;
  for (int64_t r = 0; r < bits.size(0); ++r)
    v.push_back(4.0 * bits.at({r, 0}) + 2.0 * bits.at({r, 1}) + bits.at({r, 2}));
  return v;
}

}  // namespace

ExperimentOutput run_gates(const LabOptions& o, const std::string& folder) {
  const int64_t steps = o.quick ? 2000 : 5000;
  std::printf("gates: wiring threshold units, then learning XOR and the 2-bit adder by SGD\n");
  std::fflush(stdout);
  const std::vector<Wired> wired = wire(o.seed);
  const Learned lxor = learn("XOR", xor_table(), 4, steps, o.seed);
  const Learned ladd = learn("2-bit adder", adder2_table(), 16, steps, o.seed);

  std::ostringstream table_csv, learn_csv;
  table_csv << "circuit,row,inputs,expected,output\n";
  json jwired = json::array();
  for (const Wired& w : wired) {
    for (int64_t r = 0; r < w.expected.size(0); ++r)
      table_csv << w.name << ',' << r << ',' << row_text(w.inputs, r) << ','
                << row_text(w.expected, r) << ',' << row_text(w.output, r) << '\n';
    jwired.push_back({{"circuit", w.name},
                      {"rows", w.expected.size(0)},
                      {"rows_correct", w.rows_correct()},
                      {"max_error", json_number(w.max_error())}});
  }
  learn_csv << "function,step,loss,table_accuracy\n";
  for (const Learned* l : {&lxor, &ladd})
    for (size_t s = 0; s < l->loss.size(); ++s)
      learn_csv << l->name << ',' << s + 1 << ',' << l->loss[s] << ',' << l->accuracy[s] << '\n';
  write_file(folder, "threshold-circuits.csv", table_csv.str());
  write_file(folder, "learned.csv", learn_csv.str());

  ExperimentOutput out;
  ExperimentResult& r = out.result;
  r.title = "Threshold units: logic, circuits, and the same circuits learned by SGD";
  r.setup =
      "The lecture's units sigma(w . x - b) with its weights, on truth-table inputs moved "
      "up to 0.05 away from 0 and 1, evaluated with the library's linear layer and "
      "sigmoid; XOR = (P or Q) and not (P and Q); the 2-bit adder from XORs, ANDs and an "
      "OR. Learned: networks k-h-m with one sigmoid hidden layer (XOR: 2-4-1, adder: "
      "4-16-3), outputs sigma(z) per bit, logistic loss, full-batch SGD (lr 0.5, momentum "
      "0.9) for " +
      std::to_string(steps) + " steps on the exact 0/1 table.";
  const char* ids[] = {"and_unit", "or_unit", "not_unit"};
  for (size_t g = 0; g < 3; ++g) {
    const Wired& w = wired[g];
    r.claims.push_back({ids[g],
                        w.name + ": " + std::to_string(w.rows_correct()) + " of " +
                            std::to_string(w.expected.size(0)) +
                            " rows right, largest |output - truth| " + num(w.max_error()) +
                            " [held: every row, error below 1e-3]",
                        w.rows_correct() == w.expected.size(0) && w.max_error() < 1e-3});
  }
  const Wired& x = wired[3];
  const Wired& a = wired[4];
  r.claims.push_back({"circuits",
                      "XOR (" + x.units + "): " + std::to_string(x.rows_correct()) +
                          " of 4 rows "
                          "right, largest error " +
                          num(x.max_error()) + "; 2-bit adder (" + a.units + "): " +
                          std::to_string(a.rows_correct()) + " of 16 rows right, largest error " +
                          num(a.max_error()) + " [held: every row right]",
                      x.rows_correct() == 4 && a.rows_correct() == 16});
  auto solved = [](const Learned& l) {
    return l.solved_at > 0 ? "every row right from step " + std::to_string(l.solved_at)
                           : "not every row right after " + std::to_string(l.loss.size()) +
                                 " steps (" + num(100 * l.accuracy.back()) + "% of rows)";
  };
  r.claims.push_back({"universality",
                      "learned by SGD from the truth tables: XOR " + solved(lxor) +
                          " (final loss " + num(lxor.loss.back()) + "); 2-bit adder " +
                          solved(ladd) + " (final loss " + num(ladd.loss.back()) +
                          ") [held: both solved]",
                      lxor.solved_at > 0 && ladd.solved_at > 0});

  auto curve = [](const Learned& l, bool accuracy) {
    plot::Series s{l.name, {}, {}};
    for (size_t k = 0; k < l.loss.size(); ++k) {
      s.x.push_back(static_cast<double>(k + 1));
      s.y.push_back(accuracy ? 100.0 * l.accuracy[k] : l.loss[k]);
    }
    return s;
  };
  plot(folder, "learned-loss.png", "Logistic loss on the truth table while SGD learns it.",
       "Learning the truth tables: loss", "SGD step", "loss",
       {curve(lxor, false), curve(ladd, false)}, {.width = 800, .height = 500, .log_y = true},
       r.pictures);
  plot(folder, "learned-accuracy.png", "Share of truth-table rows with every output bit right.",
       "Learning the truth tables: rows right", "SGD step", "rows right (%)",
       {curve(lxor, true), curve(ladd, true)},
       {.width = 800, .height = 500, .y_min = 0.0, .y_max = 105.0}, r.pictures);
  plot::Series truth{"a + b", {}, {}}, wired_sum{"threshold-unit circuit", {}, sums(a.output)},
      learned_sum{"learned network", {}, sums(ladd.output)};
  for (int64_t row = 0; row < 16; ++row) {
    truth.x.push_back(static_cast<double>(row));
    truth.y.push_back(static_cast<double>((row >> 2) + (row & 3)));
    wired_sum.x.push_back(static_cast<double>(row));
    learned_sum.x.push_back(static_cast<double>(row));
  }
  plot(folder, "adder.png",
       "The 2-bit adder on its 16 rows (row = 4 a + b): 4 s2 + 2 s1 + s0 from the sigmoid "
       "outputs of the wired circuit and of the learned network, against a + b.",
       "2-bit adder: a + b by row", "row (4 a + b)", "4 s2 + 2 s1 + s0",
       {truth, wired_sum, learned_sum}, {.width = 800, .height = 500, .integer_x = true},
       r.pictures);
  r.data_files = {"threshold-circuits.csv", "learned.csv", "result.json"};
  out.measurements = {{"wired", jwired},
                      {"learned",
                       {{{"function", "XOR"},
                         {"solved_at", lxor.solved_at},
                         {"final_accuracy", lxor.accuracy.back()}},
                        {{"function", "2-bit adder"},
                         {"solved_at", ladd.solved_at},
                         {"final_accuracy", ladd.accuracy.back()}}}}};
  return out;
}

}  // namespace cnn::lab::detail
