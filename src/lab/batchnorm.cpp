// `cnn lab batchnorm`: one deep sigmoid network trained with and without batch normalization
// before each sigmoid (Ioffe & Szegedy 2015, figure 1, as a CNN): the distribution of the last
// layer's sigmoid inputs over training, and the learning curves.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cnn/data/loader.h"
#include "cnn/lab/deep_net.h"
#include "cnn/ops/loss.h"
#include "cnn/optim/lr_scheduler.h"
#include "cnn/optim/schedule.h"
#include "cnn/optim/sgd.h"
#include "cnn/train/data_source.h"
#include "cnn/train/evaluate.h"
#include "lab/experiment.h"

namespace cnn::lab::detail {
namespace {

using nlohmann::json;
constexpr int64_t kDepth = 8;
constexpr float kLr = 0.1f;          // the peak of a cosine decay to 0
constexpr int64_t kEvaluations = 8;  // of the test error, besides the one before training

struct Distribution {
  int64_t step;
  double mean, stddev, p15, p50, p85;
};

struct Variant {
  bool batch_norm = false;
  std::string label;
  std::vector<int64_t> steps;                   // where the training loss and error were averaged
  std::vector<double> train_loss, train_error;  // means over the steps since the previous record
  std::vector<int64_t> eval_steps;
  std::vector<double> test_error;
  std::vector<Distribution> inputs;  // of the last layer's sigmoid
  // The last layer's batch norm after training: mean |gamma|, mean beta.
  double gamma_abs = 0.0, beta = 0.0;
  double final_test_error() const { return test_error.back(); }
  // The largest move of the mean or the deviation from their first value, in first deviations.
  double drift() const {
    const Distribution& first = inputs.front();
    double d = 0;
    for (const Distribution& x : inputs)
      d = std::max({d, std::abs(x.mean - first.mean), std::abs(x.stddev - first.stddev)});
    return d / first.stddev;
  }
};

Distribution distribution_of(const Tensor& z, int64_t step) {
  std::vector<float> v = z.contiguous().to_vector();
  const Moments m = moments(z);
  auto quantile = [&](double q) {
    const auto k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]);
  };
  const double p15 = quantile(0.15), p50 = quantile(0.5), p85 = quantile(0.85);
  return {step, m.mean, std::sqrt(m.variance), p15, p50, p85};
}

int64_t wrong(const Tensor& logits, const Tensor& labels) {
  const std::vector<int64_t> predicted = train::argmax_rows(logits);
  int64_t n = 0;
  for (size_t i = 0; i < predicted.size(); ++i) n += predicted[i] != labels.data_i64()[i];
  return n;
}

Variant train_variant(bool batch_norm, const train::TrainingData& d, const data::DataLoader& train,
                      const data::DataLoader& test, int64_t epochs, uint64_t seed) {
  Generator gen(seed);  // the same draws for both variants: their convolutions start equal
  DeepNet net({.depth = kDepth,
               .in_channels = d.image_shape[2],
               .classes = static_cast<int64_t>(d.classes.size()),
               .activation = Activation::sigmoid,
               .init = Init::xavier,
               .batch_norm = batch_norm},
              gen);
  optim::SGD sgd(net.parameters(), {.lr = kLr, .momentum = 0.9f});
  const int64_t total = epochs * train.batches_per_epoch();
  // Cosine decay to 0: at the end the weights settle, and with them batch norm's running
  // statistics, which the test error (evaluation mode) uses.
  optim::LrScheduler schedule(sgd,
                              std::make_shared<optim::CosineSchedule>(
                                  optim::CosineScheduleOptions{.lr = kLr, .total_steps = total}));
  Variant v;
  v.batch_norm = batch_norm;
  v.label = batch_norm ? "with batch norm" : "without batch norm";
  const int64_t record_every = std::max<int64_t>(1, total / 100);
  const auto classes = static_cast<int64_t>(d.classes.size());
  double loss_sum = 0;
  int64_t wrong_sum = 0, seen = 0, step = 0;
  auto evaluate_now = [&] {
    v.eval_steps.push_back(step);
    v.test_error.push_back(1.0 - train::evaluate(net, test, classes).accuracy);
  };
  evaluate_now();
  for (int64_t e = 0; e < epochs; ++e)
    for (data::Batch& b : train.epoch(e)) {
      net.train();
      const DeepNet::Trace trace = net.forward_trace(b.x);
      const Tensor loss = cross_entropy(trace.logits, b.y);
      if (step % record_every == 0)
        v.inputs.push_back(distribution_of(trace.pre_activations.back(), step));
      sgd.zero_grad();
      loss.backward();
      sgd.step();
      schedule.step();
      ++step;
      loss_sum += loss.item() * static_cast<double>(b.y.numel());
      wrong_sum += wrong(trace.logits, b.y);
      seen += b.y.numel();
      if (step % record_every == 0 || step == total) {
        v.steps.push_back(step);
        v.train_loss.push_back(loss_sum / static_cast<double>(seen));
        v.train_error.push_back(static_cast<double>(wrong_sum) / static_cast<double>(seen));
        loss_sum = 0;
        wrong_sum = seen = 0;
      }
      // kEvaluations evenly spaced, the last one after the last step.
      if (step * kEvaluations / total != (step - 1) * kEvaluations / total) evaluate_now();
    }
  if (const nn::BatchNorm2d* bn = net.layer(kDepth).bn()) {
    const std::vector<float> gamma = bn->weight().to_vector(), beta = bn->bias().to_vector();
    for (size_t c = 0; c < gamma.size(); ++c) {
      v.gamma_abs += std::abs(gamma[c]) / static_cast<double>(gamma.size());
      v.beta += beta[c] / static_cast<double>(beta.size());
    }
  }
  return v;
}

std::string percent(double fraction) {
  return num(100.0 * fraction) + "%";
}

std::string range_text(const Variant& v) {
  double mean_lo = INFINITY, mean_hi = -INFINITY, sd_lo = INFINITY, sd_hi = 0;
  for (const Distribution& x : v.inputs) {
    mean_lo = std::min(mean_lo, x.mean);
    mean_hi = std::max(mean_hi, x.mean);
    sd_lo = std::min(sd_lo, x.stddev);
    sd_hi = std::max(sd_hi, x.stddev);
  }
  return "mean " + num(mean_lo) + " to " + num(mean_hi) + ", standard deviation " + num(sd_lo) +
         " to " + num(sd_hi);
}

bool zero_mean_unit_variance(const Variant& v) {
  for (const Distribution& x : v.inputs)
    if (!(std::abs(x.mean) <= 0.25 && x.stddev >= 2.0 / 3.0 && x.stddev <= 1.5)) return false;
  return true;
}

}  // namespace

ExperimentOutput run_batchnorm(const LabOptions& o, const std::string& folder) {
  const int64_t epochs = pick(o.epochs, o.quick, 1, 3);
  const int64_t train_limit = pick(o.train_limit, o.quick, 2048, 20000);
  const int64_t test_limit = pick(o.test_limit, o.quick, 200, 2000);
  const int64_t batch_size = 32;
  const train::TrainingData d = train::open_training_data(o.data, train_limit, test_limit);
  const train::ChannelStats stats = train::channel_stats(*d.train);
  // Images at half size (bilinear): a quarter of the cost, the same classes.
  const Size2 size(std::max<int64_t>(1, d.image_shape[0] / 2),
                   std::max<int64_t>(1, d.image_shape[1] / 2));
  auto transform =
      std::make_shared<data::Compose>(std::vector<std::shared_ptr<const data::Transform>>{
          std::make_shared<data::Resize>(size),
          std::make_shared<data::Normalize>(stats.mean, stats.stddev)});
  const data::DataLoader train(d.train, transform,
                               {.batch_size = batch_size, .shuffle = true, .seed = o.seed});
  const data::DataLoader test(d.test, transform, {.batch_size = 250});
  std::vector<Variant> variants;
  for (bool bn : {false, true}) {
    std::printf("batchnorm: training %s batch normalization\n", bn ? "with" : "without");
    std::fflush(stdout);
    variants.push_back(train_variant(bn, d, train, test, epochs, o.seed));
  }
  const Variant &plain = variants[0], &bn = variants[1];

  std::ostringstream curves_csv, dist_csv;
  curves_csv << "batch_norm,step,train_loss,train_error,test_error\n";
  dist_csv << "batch_norm,step,mean,stddev,p15,p50,p85\n";
  json jvariants = json::array();
  for (const Variant& v : variants) {
    for (size_t k = 0; k < v.steps.size(); ++k)
      curves_csv << v.batch_norm << ',' << v.steps[k] << ',' << v.train_loss[k] << ','
                 << v.train_error[k] << ",\n";
    for (size_t k = 0; k < v.eval_steps.size(); ++k)
      curves_csv << v.batch_norm << ',' << v.eval_steps[k] << ",,," << v.test_error[k] << '\n';
    json dist = json::array();
    for (const Distribution& x : v.inputs) {
      dist_csv << v.batch_norm << ',' << x.step << ',' << x.mean << ',' << x.stddev << ',' << x.p15
               << ',' << x.p50 << ',' << x.p85 << '\n';
      dist.push_back(
          {{"step", x.step}, {"mean", json_number(x.mean)}, {"stddev", json_number(x.stddev)}});
    }
    jvariants.push_back({{"batch_norm", v.batch_norm},
                         {"test_error", v.test_error},
                         {"train_loss", v.train_loss},
                         {"drift", json_number(v.drift())},
                         {"inputs", dist}});
  }
  write_file(folder, "curves.csv", curves_csv.str());
  write_file(folder, "distribution.csv", dist_csv.str());

  ExperimentOutput out;
  ExperimentResult& r = out.result;
  r.title = "Batch normalization: one network trained with and without it";
  std::ostringstream setup;
  setup << "A plain network of " << kDepth
        << " 3x3 convolutions after a stem (16 channels, on the images scaled to " << size.h << "x"
        << size.w
        << ") with sigmoid activations, Xavier initialization, "
           "global average pooling and a linear classifier, trained twice from the same initial "
           "weights: without, and with batch normalization before every sigmoid. "
        << d.train->size() << " Fashion-MNIST training images, " << epochs << " epochs, batch "
        << batch_size << ", SGD momentum 0.9 with the learning rate decaying from " << kLr
        << " to 0 along a cosine, seed " << o.seed << "; test error on " << d.test->size()
        << " test images. Recorded: the last layer's sigmoid inputs over the training batches "
           "(mean, deviation, 15th/50th/85th percentiles, all channels together).";
  r.setup = setup.str();
  r.claims.push_back({"batchnorm_covariate_shift",
                      "inputs of the last sigmoid over training: with batch norm " +
                          range_text(bn) + " (largest move " + num(bn.drift()) +
                          " initial deviations); without it " + range_text(plain) +
                          " (largest move " + num(plain.drift()) +
                          ") [held: with batch norm |mean| <= 0.25 and deviation in [2/3, 1.5] "
                          "throughout, and a smaller move than without]",
                      zero_mean_unit_variance(bn) && bn.drift() < plain.drift()});
  r.claims.push_back({"batchnorm_useful",
                      "test error after " + std::to_string(epochs) + " epochs: with batch norm " +
                          percent(bn.final_test_error()) + ", without " +
                          percent(plain.final_test_error()) + "; final training loss " +
                          num(bn.train_loss.back()) + " against " + num(plain.train_loss.back()) +
                          " [held: lower test error with batch norm]",
                      bn.final_test_error() < plain.final_test_error()});
  r.notes.push_back(
      "Batch normalization normalizes and then applies its learned scale gamma and shift beta, "
      "which the lecture notes \"can even undo the normalization\": after training, the last "
      "layer's mean |gamma| is " +
      num(bn.gamma_abs) + " and mean beta " + num(bn.beta) +
      " (both start at 1 and 0), so its sigmoid inputs follow gamma and beta rather than the "
      "earlier layers.");

  std::vector<plot::Series> curves;
  for (const Variant& v : variants) {
    plot::Series tr{"train, " + v.label, {}, {}}, te{"test, " + v.label, {}, {}};
    for (size_t k = 0; k < v.steps.size(); ++k) {
      tr.x.push_back(static_cast<double>(v.steps[k]));
      tr.y.push_back(100.0 * v.train_error[k]);
    }
    for (size_t k = 0; k < v.eval_steps.size(); ++k) {
      te.x.push_back(static_cast<double>(v.eval_steps[k]));
      te.y.push_back(100.0 * v.test_error[k]);
    }
    curves.push_back(tr);
    curves.push_back(te);
  }
  plot(folder, "learning-curves.png",
       "Training error (over the batches since the previous point) and test error by step.",
       "Learning curves with and without batch normalization", "SGD step", "error (%)", curves,
       {.width = 900, .height = 550, .y_min = 0.0}, r.pictures);
  for (const Variant& v : variants) {
    std::vector<plot::Series> pct(3);
    const char* names[] = {"15th percentile", "median", "85th percentile"};
    for (size_t k = 0; k < 3; ++k) pct[k].label = names[k];
    for (const Distribution& x : v.inputs) {
      for (auto& s : pct) s.x.push_back(static_cast<double>(x.step));
      pct[0].y.push_back(x.p15);
      pct[1].y.push_back(x.p50);
      pct[2].y.push_back(x.p85);
    }
    const std::string file = v.batch_norm ? "inputs-with-bn.png" : "inputs-without-bn.png";
    plot(folder, file,
         "The last layer's sigmoid inputs over training, " + v.label +
             " (Ioffe & Szegedy's "
             "figure 1).",
         "Sigmoid inputs of layer " + std::to_string(kDepth) + ", " + v.label, "SGD step",
         "sigmoid input", pct, {.width = 700, .height = 450}, r.pictures);
  }
  r.data_files = {"curves.csv", "distribution.csv", "result.json"};
  out.measurements = {{"variants", jvariants}};
  return out;
}

}  // namespace cnn::lab::detail
