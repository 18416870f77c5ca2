// `cnn lab gradients`: the weight gradient of every layer of a deep plain network at
// initialization, for one batch of real images, under each activation, initialization, with and
// without batch normalization and residual connections, at several depths.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cnn/lab/deep_net.h"
#include "cnn/ops/loss.h"
#include "lab/experiment.h"

namespace cnn::lab::detail {
namespace {

using nlohmann::json;
constexpr int64_t kReferenceDepth = 50;  // the depth of the by-layer pictures and the claims

DeepNetOptions setting(Activation a, Init i, bool bn = false, bool residual = false) {
  return {.activation = a, .init = i, .batch_norm = bn, .residual = residual};
}

bool same_setting(const DeepNetOptions& a, const DeepNetOptions& b) {
  return a.activation == b.activation && a.init == b.init && a.batch_norm == b.batch_norm &&
         a.residual == b.residual;
}

const DeepNetOptions kSigmoidXavier = setting(Activation::sigmoid, Init::xavier);
const DeepNetOptions kTanhXavier = setting(Activation::tanh, Init::xavier);
const DeepNetOptions kReluSmall = setting(Activation::relu, Init::small);
const DeepNetOptions kReluXavier = setting(Activation::relu, Init::xavier);
const DeepNetOptions kReluKaiming = setting(Activation::relu, Init::kaiming);
const DeepNetOptions kReluLarge = setting(Activation::relu, Init::large);
const DeepNetOptions kTanhLarge = setting(Activation::tanh, Init::large);
const DeepNetOptions kSigmoidLarge = setting(Activation::sigmoid, Init::large);
const DeepNetOptions kReluBn = setting(Activation::relu, Init::kaiming, true);
const DeepNetOptions kReluResidual = setting(Activation::relu, Init::kaiming, false, true);
const DeepNetOptions kResNet = setting(Activation::relu, Init::kaiming, true, true);
const DeepNetOptions kSigmoidResidual = setting(Activation::sigmoid, Init::xavier, false, true);

// Plain networks: activation by initialization.
std::vector<DeepNetOptions> init_picture() {
  std::vector<DeepNetOptions> s;
  for (Activation a : {Activation::sigmoid, Activation::tanh, Activation::relu})
    for (Init i : {Init::small, Init::xavier, Init::kaiming}) s.push_back(setting(a, i));
  s.push_back(kReluLarge);
  return s;
}

// The fixes: batch normalization and skips, for sigmoid/Xavier and ReLU/Kaiming.
std::vector<DeepNetOptions> fixes_picture() {
  std::vector<DeepNetOptions> s;
  for (auto [a, i] :
       {std::pair{Activation::sigmoid, Init::xavier}, std::pair{Activation::relu, Init::kaiming}})
    for (bool bn : {false, true})
      for (bool res : {false, true}) s.push_back(setting(a, i, bn, res));
  return s;
}

std::vector<DeepNetOptions> depth_picture() {
  return {kSigmoidXavier, kTanhXavier, kReluSmall,       kReluKaiming,
          kReluLarge,     kReluBn,     kSigmoidResidual, kResNet};
}

// Quick: the settings of the pictures and claims. Full: every combination.
std::vector<DeepNetOptions> settings(bool quick) {
  std::vector<DeepNetOptions> all;
  auto add = [&](const DeepNetOptions& o) {
    for (const DeepNetOptions& s : all)
      if (same_setting(s, o)) return;
    all.push_back(o);
  };
  if (quick) {
    for (const auto& list : {init_picture(), fixes_picture(), depth_picture()})
      for (const DeepNetOptions& o : list) add(o);
    add(kTanhLarge);
    add(kSigmoidLarge);
  } else {
    for (Activation a : {Activation::sigmoid, Activation::tanh, Activation::relu})
      for (Init i : {Init::small, Init::large, Init::xavier, Init::kaiming})
        for (bool bn : {false, true})
          for (bool res : {false, true}) add(setting(a, i, bn, res));
  }
  return all;
}

struct Run {
  DeepNetOptions net;
  double loss = 0.0;
  std::vector<double> norm, rms;  // per layer 1..depth
  double first() const { return rms.front(); }
  double ratio() const { return rms.front() / rms.back(); }
};

// The gradients of `draws` networks drawn independently (the same draws for every setting),
// each layer's RMS averaged over them as sqrt(mean of squares).
Run measure(const DeepNetOptions& net, const RealBatch& batch, uint64_t seed, int64_t draws) {
  Generator seeds(seed);
  Run r{net, 0.0, {}, std::vector<double>(static_cast<size_t>(net.depth), 0.0)};
  for (int64_t k = 0; k < draws; ++k) {
    Generator gen(seeds.next_u64());
    DeepNet model(net, gen);
    model.train();  // batch normalization uses the batch's statistics, as in training
    const Tensor loss = cross_entropy(model(batch.x), batch.y);
    loss.backward();
    r.loss += loss.item() / static_cast<double>(draws);
    for (int64_t l = 1; l <= net.depth; ++l) {
      const Tensor& g = model.conv_weight(l).grad();
      const double value = g.defined() ? rms(g) : 0.0;
      r.rms[static_cast<size_t>(l - 1)] += value * value / static_cast<double>(draws);
    }
  }
  const auto weights = static_cast<double>(9 * net.width * net.width);
  for (double& v : r.rms) {
    v = std::sqrt(v);
    r.norm.push_back(v * std::sqrt(weights));
  }
  return r;
}

struct Table {
  std::vector<int64_t> depths;
  std::vector<Run> runs;
  const Run& at(int64_t depth, const DeepNetOptions& s) const {
    for (const Run& r : runs)
      if (r.net.depth == depth && same_setting(r.net, s)) return r;
    fail("lab gradients: no run of ", describe_setting(s), " at depth ", depth);
  }
  // First-layer gradient RMS by depth.
  std::vector<double> first_by_depth(const DeepNetOptions& s) const {
    std::vector<double> v;
    for (int64_t d : depths) v.push_back(at(d, s).first());
    return v;
  }
};

std::string by_depth_text(const Table& t, const DeepNetOptions& s) {
  std::ostringstream out;
  const std::vector<double> v = t.first_by_depth(s);
  for (size_t k = 0; k < v.size(); ++k)
    out << (k ? ", " : "") << num(v[k]) << " at " << t.depths[k] << " layers";
  return out.str();
}

// Whether every step of `v` (one value per depth) falls (rises) by more than `factor`. On a
// fall, 0 is where the value passed below the smallest float; on a rise, a non-finite value
// is where it passed the largest: both count as going further the same way.
bool monotone_by(const std::vector<double>& v, bool falling, double factor) {
  if (v.size() < 2) return false;
  for (size_t k = 1; k < v.size(); ++k) {
    const double a = v[k - 1], b = v[k];
    const bool ok =
        falling ? (a == 0.0 ? b == 0.0 : std::isfinite(a) && b * factor < a)
                : (!std::isfinite(a) ? !std::isfinite(b) : !std::isfinite(b) || b > a * factor);
    if (!ok) return false;
  }
  return true;
}

// The factor by which the first layer's gradient changes per added layer, from the first two
// depths where it is finite and positive; NaN when there are no two.
double per_layer_factor(const Table& t, const DeepNetOptions& s) {
  const std::vector<double> v = t.first_by_depth(s);
  std::vector<size_t> good;
  for (size_t k = 0; k < v.size(); ++k)
    if (std::isfinite(v[k]) && v[k] > 0) good.push_back(k);
  if (good.size() < 2) return std::nan("");
  const double layers = static_cast<double>(t.depths[good[1]] - t.depths[good[0]]);
  return std::pow(v[good[1]] / v[good[0]], 1.0 / layers);
}

// ", a factor of F per added layer" when two depths give one.
std::string factor_text(const Table& t, const DeepNetOptions& s) {
  const double f = per_layer_factor(t, s);
  return std::isfinite(f) ? ", a factor of " + num(f) + " per added layer" : "";
}

// The thresholds below are stated in each finding: a reader sees what "held" meant.
constexpr double kVanished = 1e-3;  // first/last below this: the gradient vanished
constexpr double kStepFactor =
    1e3;  // change of the first-layer gradient from one depth to the next
constexpr double kPreserved = 30.0;  // first/last within this factor either way: preserved

std::vector<Claim> claims(const Table& t) {
  std::vector<Claim> c;
  const int64_t d = kReferenceDepth;
  const double sig = t.at(d, kSigmoidXavier).ratio();
  c.push_back({"sigmoids_vanish",
               "sigmoid, Xavier, " + std::to_string(d) +
                   " layers: the first layer's weight gradient (RMS) is " + num(sig) +
                   " times the last layer's (tanh, Xavier: " + num(t.at(d, kTanhXavier).ratio()) +
                   "; ReLU, Kaiming: " + num(t.at(d, kReluKaiming).ratio()) + ") [held: below " +
                   num(kVanished) + "]",
               sig < kVanished});
  const std::vector<double> small = t.first_by_depth(kReluSmall);
  c.push_back({"small_weights_vanish",
               "ReLU, small (std 0.01): first-layer gradient RMS " + by_depth_text(t, kReluSmall) +
                   " (0: below the smallest float)" + factor_text(t, kReluSmall) +
                   " [held: down by more than 1000x at each greater depth]",
               monotone_by(small, true, kStepFactor)});
  const std::vector<double> large = t.first_by_depth(kReluLarge);
  c.push_back({"large_weights_explode",
               "ReLU, large (std 1): first-layer gradient RMS " + by_depth_text(t, kReluLarge) +
                   " (inf or nan: past the largest float)" + factor_text(t, kReluLarge) +
                   " [held: up by more than 1000x at each greater depth]",
               monotone_by(large, false, kStepFactor)});
  const double res = t.at(d, kResNet).ratio();
  const int64_t deepest = t.depths.back();
  const std::string deeper = deepest == d
                                 ? ""
                                 : " (" + std::to_string(deepest) +
                                       " layers: " + num(t.at(deepest, kResNet).ratio()) + ")";
  c.push_back({"skip_preserves_gradients",
               "ReLU, Kaiming, BN, residual, " + std::to_string(d) +
                   " layers: first/last gradient " + num(res) + deeper +
                   "; sigmoid, Xavier with skips: " + num(t.at(d, kSigmoidResidual).ratio()) +
                   " where without them " + num(sig) + " [held: ResNet within a factor of " +
                   num(kPreserved) + " either way]",
               res >= 1.0 / kPreserved && res <= kPreserved});
  return c;
}

std::vector<std::string> notes(const Table& t) {
  const int64_t d = kReferenceDepth;
  return {
      "ReLU networks without batch normalization are positively homogeneous: every layer's weight "
      "gradient carries the same product of the weight scales, so vanishing shows in the whole "
      "network's gradient as it deepens rather than between its layers (ReLU, Xavier: first/last " +
          num(t.at(d, kReluXavier).ratio()) + " at " + std::to_string(d) +
          " layers; first-layer gradient " + by_depth_text(t, kReluXavier) + ").",
      "Saturating activations with the same large weights (N * variance = 144 per layer): tanh, "
      "first-layer gradient " +
          by_depth_text(t, kTanhLarge) + "; sigmoid, " + by_depth_text(t, kSigmoidLarge) + ".",
      "Batch normalization without skips: ReLU, Kaiming, BN at " + std::to_string(d) +
          " layers has first/last " + num(t.at(d, kReluBn).ratio()) +
          "; skips without batch normalization: ReLU, Kaiming, residual, first-layer gradient " +
          by_depth_text(t, kReluResidual) + ".",
  };
}

std::vector<plot::Series> by_layer(const Table& t, const std::vector<DeepNetOptions>& list) {
  std::vector<plot::Series> out;
  for (const DeepNetOptions& s : list) {
    const Run& r = t.at(kReferenceDepth, s);
    plot::Series series{describe_setting(s), {}, r.rms};
    for (size_t l = 1; l <= r.rms.size(); ++l) series.x.push_back(static_cast<double>(l));
    out.push_back(series);
  }
  return out;
}

std::vector<plot::Series> by_depth(const Table& t, const std::vector<DeepNetOptions>& list,
                                   bool ratio) {
  std::vector<plot::Series> out;
  for (const DeepNetOptions& s : list) {
    plot::Series series{describe_setting(s), {}, {}};
    for (int64_t d : t.depths) {
      series.x.push_back(static_cast<double>(d));
      series.y.push_back(ratio ? t.at(d, s).ratio() : t.at(d, s).first());
    }
    out.push_back(series);
  }
  return out;
}

void write_csvs(const Table& t, const std::string& folder) {
  std::ostringstream layers, summary;
  layers << "depth,activation,init,batch_norm,residual,layer,grad_norm,grad_rms\n";
  summary << "depth,activation,init,batch_norm,residual,loss,first_rms,last_rms,first_to_last\n";
  for (const Run& r : t.runs) {
    std::ostringstream key;
    key << r.net.depth << ',' << activation_name(r.net.activation) << ',' << init_name(r.net.init)
        << ',' << r.net.batch_norm << ',' << r.net.residual;
    for (size_t l = 0; l < r.rms.size(); ++l)
      layers << key.str() << ',' << l + 1 << ',' << r.norm[l] << ',' << r.rms[l] << '\n';
    summary << key.str() << ',' << r.loss << ',' << r.rms.front() << ',' << r.rms.back() << ','
            << r.ratio() << '\n';
  }
  write_file(folder, "gradients.csv", layers.str());
  write_file(folder, "summary.csv", summary.str());
}

json measurements(const Table& t) {
  json runs = json::array();
  for (const Run& r : t.runs) {
    json rms = json::array();
    for (double v : r.rms) rms.push_back(json_number(v));
    runs.push_back({{"setting", describe_setting(r.net)},
                    {"depth", r.net.depth},
                    {"loss", json_number(r.loss)},
                    {"first_to_last", json_number(r.ratio())},
                    {"rms", rms}});
  }
  return {{"depths", t.depths}, {"runs", runs}};
}

}  // namespace

ExperimentOutput run_gradients(const LabOptions& o, const std::string& folder) {
  const int64_t batch_size = pick(o.batch_size, o.quick, 4, 8);
  const int64_t draws = o.quick ? 2 : 4;
  Table t;
  t.depths = o.quick ? std::vector<int64_t>{10, kReferenceDepth}
                     : std::vector<int64_t>{10, 20, kReferenceDepth, 100};
  const RealBatch batch = real_batch(o.data, batch_size, 10000, o.seed);
  const std::vector<DeepNetOptions> list = settings(o.quick);
  for (int64_t depth : t.depths) {
    std::printf("gradients: %lld layers, %zu settings\n", static_cast<long long>(depth),
                list.size());
    std::fflush(stdout);
    for (DeepNetOptions net : list) {
      net.depth = depth;
      net.in_channels = batch.x.size(3);
      net.classes = static_cast<int64_t>(batch.classes.size());
      t.runs.push_back(measure(net, batch, o.seed, draws));
    }
  }
  write_csvs(t, folder);

  ExperimentOutput out;
  ExperimentResult& r = out.result;
  r.title = "Gradients at initialization: per-layer weight gradients of deep plain networks";
  std::ostringstream setup;
  setup << "Networks of a stem convolution (1 to 16 channels), then L identical 3x3 convolution "
           "layers (16 channels, 28x28, zero padding), global average pooling and a linear "
           "classifier, at L = ";
  for (size_t k = 0; k < t.depths.size(); ++k) setup << (k ? ", " : "") << t.depths[k];
  setup << "; " << list.size() << " settings of activation, initialization (small: N(0, 0.01^2), "
        << "large: N(0, 1), Xavier: U(-sqrt(3/N), sqrt(3/N)), Kaiming: N(0, 2/N), N = fan-in), "
        << "batch normalization and residual connections; one batch of " << batch_size
        << " Fashion-MNIST training images, cross-entropy loss, gradients by backpropagation, "
        << draws
        << " independent draws of the weights per setting. Gradient size of a layer = "
           "RMS of dLoss/dW (norm / sqrt(weights)), root-mean-square over the draws; first and "
           "last = layers 1 and L.";
  r.setup = setup.str();
  r.claims = claims(t);
  r.notes = notes(t);
  const std::string at = " (" + std::to_string(kReferenceDepth) + " layers)";
  const plot::PlotOptions log_plot{.width = 900, .height = 600, .log_y = true};
  plot(folder, "by-layer-init.png",
       "Plain networks: the weight gradient of each layer under each activation and "
       "initialization. Points at 0 (underflow) or past the float range are not drawn.",
       "Gradient by layer: activation and initialization" + at, "layer", "RMS of dLoss/dW",
       by_layer(t, init_picture()), log_plot, r.pictures);
  plot(folder, "by-layer-fixes.png",
       "The fixes: batch normalization and residual connections, for sigmoid/Xavier and "
       "ReLU/Kaiming.",
       "Gradient by layer: batch normalization and skips" + at, "layer", "RMS of dLoss/dW",
       by_layer(t, fixes_picture()), log_plot, r.pictures);
  plot(folder, "ratio-by-depth.png",
       "First-layer gradient over last-layer gradient as the network deepens: 1 means the "
       "gradient reaches the input undiminished.",
       "First/last layer gradient by depth", "layers", "first / last",
       by_depth(t, depth_picture(), true), log_plot, r.pictures);
  plot(folder, "first-layer-by-depth.png",
       "The first layer's gradient as the network deepens: the whole network's gradient "
       "vanishes or explodes with depth.",
       "First-layer gradient by depth", "layers", "RMS of dLoss/dW1",
       by_depth(t, depth_picture(), false), log_plot, r.pictures);
  r.data_files = {"gradients.csv", "summary.csv", "result.json"};
  out.measurements = measurements(t);
  return out;
}

}  // namespace cnn::lab::detail
