// `cnn lab activations`: the forward counterpart of `gradients`. The mean and variance of every
// layer's pre-activations z_l = Conv(Phi_l, L_{l-1}) (the lecture's y_j = sum_i x_i w_ij) through a
// deep plain network, under each activation and initialization, and how many sigmoid inputs
// land where the sigmoid is flat (|z| > 4).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cnn/autograd.h"
#include "cnn/lab/deep_net.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/reduce.h"
#include "lab/experiment.h"

namespace cnn::lab::detail {
namespace {

using nlohmann::json;
constexpr double kSaturated = 4.0;  // the lecture's |x| > 4

// Means over the draws of the weights.
struct LayerStats {
  double pre_mean = 0, pre_var = 0, post_mean = 0, post_var = 0, saturated = 0;
  double gain = 0;  // var(z_l) / E[L_(l-1)^2]: what Xavier's argument says is 1
};

struct Run {
  Activation activation;
  Init init;
  std::vector<LayerStats> layers;
  std::vector<double> last_var_by_draw;  // var(z_depth) of each draw
  std::string label() const {
    return std::string(activation_name(activation)) + ", " + init_name(init);
  }
  std::vector<double> pre_var() const {
    std::vector<double> v;
    for (const LayerStats& s : layers) v.push_back(s.pre_var);
    return v;
  }
};

double saturated_fraction(const Tensor& z) {
  const Tensor c = z.contiguous();
  const float* p = c.data();
  int64_t count = 0;
  for (int64_t i = 0; i < c.numel(); ++i) count += !(std::abs(p[i]) <= kSaturated);
  return static_cast<double>(count) / static_cast<double>(c.numel());
}

Run measure(Activation a, Init i, int64_t depth, const RealBatch& batch, uint64_t seed,
            int64_t draws) {
  Run r{a, i, std::vector<LayerStats>(static_cast<size_t>(depth)), {}};
  Generator seeds(seed);
  const auto share = 1.0 / static_cast<double>(draws);
  for (int64_t k = 0; k < draws; ++k) {
    Generator gen(seeds.next_u64());
    DeepNet net({.depth = depth, .in_channels = batch.x.size(3), .activation = a, .init = i}, gen);
    NoGradGuard no_grad;
    const DeepNet::Trace trace = net.forward_trace(batch.x);
    Moments input = moments(trace.stem_output);
    for (size_t l = 0; l < trace.outputs.size(); ++l) {
      const Moments pre = moments(trace.pre_activations[l]), post = moments(trace.outputs[l]);
      LayerStats& s = r.layers[l];
      s.pre_mean += share * pre.mean;
      s.pre_var += share * pre.variance;
      s.post_mean += share * post.mean;
      s.post_var += share * post.variance;
      s.saturated += share * saturated_fraction(trace.pre_activations[l]);
      s.gain += share * pre.variance / (input.variance + input.mean * input.mean);
      input = post;
    }
    r.last_var_by_draw.push_back(moments(trace.pre_activations.back()).variance);
  }
  return r;
}

const Run& find(const std::vector<Run>& runs, Activation a, Init i) {
  for (const Run& r : runs)
    if (r.activation == a && r.init == i) return r;
  fail("lab activations: no run of ", activation_name(a), ", ", init_name(i));
}

// The geometric mean of the change of the variance per layer over the first `layers` layers
// (or up to where it leaves the float range).
double per_layer_factor(const std::vector<double>& v, size_t layers) {
  size_t last = 0;
  for (size_t l = 1; l < std::min(layers, v.size()); ++l) {
    if (!(std::isfinite(v[l]) && v[l] > 0)) break;
    last = l;
  }
  if (last == 0) return std::nan("");
  return std::pow(v[last] / v[0], 1.0 / static_cast<double>(last));
}

// The first layer (1-based) whose variance is 0 or not finite, 0 if none.
size_t first_out_of_range(const std::vector<double>& v) {
  for (size_t l = 0; l < v.size(); ++l)
    if (!(std::isfinite(v[l]) && v[l] > 0)) return l + 1;
  return 0;
}

std::string range_text(const std::vector<double>& v) {
  const size_t out = first_out_of_range(v);
  std::ostringstream s;
  s << "variance " << num(v.front()) << " at layer 1, " << num(v.back()) << " at layer "
    << v.size();
  if (out != 0) s << " (out of the float range from layer " << out << ")";
  return s.str();
}

// sigma and its derivative (by backpropagation through the library's sigmoid) on [-8, 8].
std::pair<plot::Series, plot::Series> sigmoid_curves(double& slope_at_4, double& slope_at_0) {
  std::vector<float> xs;
  for (int k = -80; k <= 80; ++k) xs.push_back(static_cast<float>(k) / 10.0f);
  Tensor x = Tensor::from_data({static_cast<int64_t>(xs.size())}, xs).requires_grad_();
  const Tensor y = sigmoid(x);
  sum(y).backward();  // each y depends on its own x only: the gradient is sigma'(x)
  const std::vector<float> value = y.to_vector(), slope = x.grad().to_vector();
  plot::Series s{"σ(x)", {}, {}}, d{"σ'(x)", {}, {}};
  for (size_t k = 0; k < xs.size(); ++k) {
    s.x.push_back(xs[k]);
    d.x.push_back(xs[k]);
    s.y.push_back(value[k]);
    d.y.push_back(slope[k]);
    if (xs[k] == 4.0f) slope_at_4 = slope[k];
    if (xs[k] == 0.0f) slope_at_0 = slope[k];
  }
  return {s, d};
}

}  // namespace

ExperimentOutput run_activations(const LabOptions& o, const std::string& folder) {
  const int64_t depth = o.quick ? 50 : 100;
  const int64_t batch_size = pick(o.batch_size, o.quick, 2, 8);
  const int64_t draws = o.quick ? 3 : 8;
  const RealBatch batch = real_batch(o.data, batch_size, 10000, o.seed);
  std::printf("activations: %lld layers, 16 settings, %lld draws each\n",
              static_cast<long long>(depth), static_cast<long long>(draws));
  std::fflush(stdout);
  std::vector<Run> runs;
  for (Activation a :
       {Activation::identity, Activation::sigmoid, Activation::tanh, Activation::relu})
    for (Init i : {Init::small, Init::large, Init::xavier, Init::kaiming})
      runs.push_back(measure(a, i, depth, batch, o.seed, draws));

  std::ostringstream csv;
  csv << "activation,init,layer,pre_mean,pre_variance,post_mean,post_variance,gain,"
         "saturated_fraction\n";
  json jruns = json::array();
  for (const Run& r : runs) {
    json pre_var = json::array(), pre_mean = json::array(), saturated = json::array(),
         gain = json::array();
    for (size_t l = 0; l < r.layers.size(); ++l) {
      const LayerStats& s = r.layers[l];
      csv << activation_name(r.activation) << ',' << init_name(r.init) << ',' << l + 1 << ','
          << s.pre_mean << ',' << s.pre_var << ',' << s.post_mean << ',' << s.post_var << ','
          << s.gain << ',' << s.saturated << '\n';
      pre_var.push_back(json_number(s.pre_var));
      pre_mean.push_back(json_number(s.pre_mean));
      saturated.push_back(json_number(s.saturated));
      gain.push_back(json_number(s.gain));
    }
    jruns.push_back({{"setting", r.label()},
                     {"pre_variance", pre_var},
                     {"pre_mean", pre_mean},
                     {"gain", gain},
                     {"saturated_fraction", saturated}});
  }
  write_file(folder, "activations.csv", csv.str());

  ExperimentOutput out;
  ExperimentResult& r = out.result;
  r.title = "Activations through depth: what Xavier initialization preserves";
  r.setup = "Plain networks: a stem convolution (1 to 16 channels), then " + std::to_string(depth) +
            " identical 3x3 convolution layers (16 channels, 28x28, zero padding, no bias, no "
            "batch normalization), under four activations (identity, sigmoid, tanh, ReLU) and "
            "four initializations (small: N(0, 0.01^2), large: N(0, 1), Xavier: "
            "U(-sqrt(3/N), sqrt(3/N)), Kaiming: N(0, 2/N), N = fan-in); one batch of " +
            std::to_string(batch_size) +
            " Fashion-MNIST training images normalized to zero mean and unit variance. Measured "
            "over the batch, for every layer: the mean and variance of the pre-activation "
            "z_l = Conv(W_l, L_(l-1)) (the lecture's y_j = sum_i x_i w_ij), its gain "
            "var(z_l) / E[L_(l-1)^2], and the share with |z| > 4; each averaged over " +
            std::to_string(draws) + " independent draws of the weights.";
  const Run& lin_x = find(runs, Activation::identity, Init::xavier);
  const std::vector<double> lin_var = lin_x.pre_var();
  double lo = INFINITY, hi = 0, mean_ratio = 0, gain = 0;
  for (const LayerStats& s : lin_x.layers) {
    lo = std::min(lo, s.pre_var);
    hi = std::max(hi, s.pre_var);
    mean_ratio = std::max(mean_ratio, std::abs(s.pre_mean) / std::sqrt(s.pre_var));
    gain += s.gain / static_cast<double>(lin_x.layers.size());
  }
  // The mean gain over the layers where it is finite (before the float range ends).
  auto mean_gain = [&](Activation a, Init i) {
    double g = 0;
    int n = 0;
    for (const LayerStats& s : find(runs, a, i).layers)
      if (std::isfinite(s.gain) && s.gain > 0) g += s.gain, ++n;
    return n > 0 ? g / n : std::nan("");
  };
  r.claims.push_back(
      {"xavier_independence",
       "identity activation, Xavier: var(z_l) / E[L_(l-1)^2] = " + num(gain) +
           " on average over the layers (layer 1: " + num(lin_x.layers.front().gain) +
           "); |mean of z_l| is at most " + num(mean_ratio) +
           " of its deviation. The same gain under small weights: " +
           num(mean_gain(Activation::identity, Init::small)) +
           ", under large ones: " + num(mean_gain(Activation::identity, Init::large)) +
           " [held: gain within 0.2 of 1, |mean| at most 0.25 deviations]",
       std::abs(gain - 1.0) <= 0.2 && mean_ratio <= 0.25});
  const auto [draw_lo, draw_hi] =
      std::minmax_element(lin_x.last_var_by_draw.begin(), lin_x.last_var_by_draw.end());
  r.claims.push_back({"xavier_preserves",
                      "identity activation, Xavier: the variance of z stays between " + num(lo) +
                          " and " + num(hi) + " over " + std::to_string(depth) +
                          " layers (layer 1: " + num(lin_var.front()) +
                          "; single draws end between " + num(*draw_lo) + " and " + num(*draw_hi) +
                          "), where small weights collapse it (" +
                          range_text(find(runs, Activation::identity, Init::small).pre_var()) +
                          ") and large ones blow it up (" +
                          range_text(find(runs, Activation::identity, Init::large).pre_var()) +
                          ")" + " [held: within a factor of 4 of layer 1 throughout]",
                      lo >= 0.25 * lin_var.front() && hi <= 4.0 * lin_var.front()});
  const Run& relu_x = find(runs, Activation::relu, Init::xavier);
  const Run& relu_k = find(runs, Activation::relu, Init::kaiming);
  r.notes.push_back(
      "Xavier's argument assumes zero-mean inputs to every layer. ReLU's outputs are >= 0 and "
      "half of them 0: under Xavier the gain is " +
      num(mean_gain(Activation::relu, Init::xavier)) + " and the variance changes by a factor of " +
      num(per_layer_factor(relu_x.pre_var(), relu_x.layers.size())) +
      " per layer; under Kaiming's variance 2/N the gain is " +
      num(mean_gain(Activation::relu, Init::kaiming)) + " and the factor " +
      num(per_layer_factor(relu_k.pre_var(), relu_k.layers.size())) +
      ". The sigmoid's outputs have mean near 0.5, so under Xavier z's variance is near E[L^2] (" +
      num(find(runs, Activation::sigmoid, Init::xavier).layers.back().pre_var) + " at layer " +
      std::to_string(depth) + "), not 1; with tanh (zero-mean, but |tanh z| < |z|) it ends at " +
      num(find(runs, Activation::tanh, Init::xavier).layers.back().pre_var) + ".");
  const std::vector<double> small_v = find(runs, Activation::relu, Init::small).pre_var();
  const double small_factor = per_layer_factor(small_v, small_v.size());
  r.claims.push_back({"small_weights_vanish",
                      "ReLU, small: " + range_text(small_v) + ", a factor of " + num(small_factor) +
                          " per layer [held: below 0.1 per layer]",
                      small_factor < 0.1});
  const std::vector<double> large_v = find(runs, Activation::relu, Init::large).pre_var();
  const double large_factor = per_layer_factor(large_v, large_v.size());
  const Run& sig_large = find(runs, Activation::sigmoid, Init::large);
  r.claims.push_back({"large_weights_explode",
                      "ReLU, large: " + range_text(large_v) + ", a factor of " + num(large_factor) +
                          " per layer; the saturating sigmoid with the same weights: " +
                          range_text(sig_large.pre_var()) +
                          " [held: ReLU above 10 per layer, the sigmoid's finite]",
                      large_factor > 10.0 && std::isfinite(sig_large.layers.back().pre_var)});
  double slope4 = 0, slope0 = 0;
  const auto [sig, dsig] = sigmoid_curves(slope4, slope0);
  const double sat_large = sig_large.layers.back().saturated;
  const double sat_xavier = find(runs, Activation::sigmoid, Init::xavier).layers.back().saturated;
  r.claims.push_back({"sigmoid_gradient_small",
                      "σ'(4) = " + num(slope4) + " against σ'(0) = " + num(slope0) +
                          " (by backpropagation through the library's sigmoid). With large "
                          "weights " +
                          num(100 * sat_large) +
                          "% of the last layer's sigmoid "
                          "inputs have |z| > 4; with Xavier " +
                          num(100 * sat_xavier) + "% [held: σ'(4) below a tenth of σ'(0)]",
                      slope4 < 0.1 * slope0});

  auto series = [&](Activation a, Init i) {
    const Run& run = find(runs, a, i);
    plot::Series s{run.label(), {}, run.pre_var()};
    for (size_t l = 1; l <= s.y.size(); ++l) s.x.push_back(static_cast<double>(l));
    return s;
  };
  // From 1e-12 to 1e12: the lines that vanish or explode leave the frame.
  const plot::PlotOptions log_plot{
      .width = 900, .height = 600, .log_y = true, .y_min = 1e-12, .y_max = 1e12};
  plot(folder, "variance-by-layer.png",
       "Variance of each layer's pre-activations (mean over the draws of the weights), clipped "
       "to 1e-12 .. 1e12. Xavier keeps the identity network's near its input's; ReLU needs "
       "Kaiming's factor 2.",
       "Pre-activation variance by layer", "layer", "variance of z",
       {series(Activation::identity, Init::small), series(Activation::identity, Init::xavier),
        series(Activation::identity, Init::kaiming), series(Activation::identity, Init::large),
        series(Activation::relu, Init::xavier), series(Activation::relu, Init::kaiming),
        series(Activation::tanh, Init::xavier), series(Activation::sigmoid, Init::xavier)},
       log_plot, r.pictures);
  std::vector<plot::Series> sat;
  for (Init i : {Init::small, Init::xavier, Init::kaiming, Init::large}) {
    const Run& run = find(runs, Activation::sigmoid, i);
    plot::Series s{run.label(), {}, {}};
    for (size_t l = 0; l < run.layers.size(); ++l) {
      s.x.push_back(static_cast<double>(l + 1));
      s.y.push_back(100.0 * run.layers[l].saturated);
    }
    sat.push_back(s);
  }
  plot(folder, "sigmoid-saturation-by-layer.png",
       "Share of sigmoid inputs in the flat region |z| > 4, by layer and initialization.",
       "Saturated sigmoid inputs by layer", "layer", "|z| > 4 (%)", sat,
       {.width = 900, .height = 500, .y_min = 0.0, .y_max = 100.0}, r.pictures);
  plot(folder, "sigmoid.png", "The sigmoid and its gradient: below 0.018 beyond |x| > 4.",
       "Sigmoid and its derivative", "x", "", {sig, dsig}, {.width = 700, .height = 450},
       r.pictures);
  r.data_files = {"activations.csv", "result.json"};
  out.measurements = {{"depth", depth}, {"runs", jruns}, {"sigmoid_slope_at_4", slope4}};
  return out;
}

}  // namespace cnn::lab::detail
