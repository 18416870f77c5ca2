// `cnn lab depth`: the ResNet paper's degradation experiment (He et al. 2015, figure 6) on
// Fashion-MNIST: plain-20 and plain-56 against ResNet-20 and ResNet-56 (--quick: 20 and 32
// layers), trained by the Trainer of `cnn train` under one schedule, with training and test
// error by epoch.
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cnn/error.h"
#include "cnn/train/trainer.h"
#include "lab/experiment.h"

namespace cnn::lab::detail {
namespace {

using nlohmann::json;

struct Curve {
  std::string model, label;
  std::vector<double> train_error, test_error, seconds;
  double final_train() const { return train_error.back(); }
  double final_test() const { return test_error.back(); }
};

// The registered model names and their labels: plain-s, plain-d, ResNet-s, ResNet-d.
std::vector<std::pair<std::string, std::string>> models(int64_t shallow, int64_t deep) {
  std::vector<std::pair<std::string, std::string>> m;
  for (const char* kind : {"plain", "resnet"})
    for (int64_t depth : {shallow, deep})
      m.push_back({kind + std::to_string(depth),
                   (kind == std::string("plain") ? "plain-" : "ResNet-") + std::to_string(depth)});
  return m;
}

std::string percent(double fraction) {
  return num(100.0 * fraction) + "%";
}

}  // namespace

ExperimentOutput run_depth(const LabOptions& o, const std::string& folder) {
  train::TrainConfig base;
  base.data = o.data;
  base.epochs = pick(o.epochs, o.quick, 1, 8);
  base.train_limit = pick(o.train_limit, o.quick, 128, 5000);
  base.test_limit = pick(o.test_limit, o.quick, 100, 1000);
  base.batch_size = 64;
  // No augmentation: the training error then measures how well the network fits the images.
  base.crop_padding = 0;
  base.flip = false;
  base.seed = o.seed;
  base.threads = o.threads;

  // Quick: the smallest registered pair, 20 and 32 layers, for tests.
  const int64_t shallow = 20, deep = o.quick ? 32 : 56;
  std::vector<Curve> curves;
  for (const auto& [model, label] : models(shallow, deep)) {
    train::TrainConfig c = base;
    c.model = model;
    c.out = (std::filesystem::path(folder) / model).string();
    std::printf("depth: training %s\n", label.c_str());
    std::fflush(stdout);
    train::Trainer trainer(c);
    Curve curve{model, label, {}, {}, {}};
    for (const train::EpochRecord& e : trainer.run()) {
      curve.train_error.push_back(1.0 - e.metrics.train_accuracy);
      curve.test_error.push_back(1.0 - e.metrics.test_accuracy);
      curve.seconds.push_back(e.metrics.seconds);
    }
    CNN_CHECK(!curve.train_error.empty(), "lab depth: ", label, " trained no epoch");
    curves.push_back(curve);
  }
  // Shallow and deep, plain and residual.
  const Curve &ps = curves[0], &pd = curves[1], &rs = curves[2], &rd = curves[3];

  std::ostringstream csv;
  csv << "model,epoch,train_error,test_error,seconds\n";
  json jcurves = json::array();
  for (const Curve& c : curves) {
    for (size_t e = 0; e < c.train_error.size(); ++e)
      csv << c.model << ',' << e + 1 << ',' << c.train_error[e] << ',' << c.test_error[e] << ','
          << c.seconds[e] << '\n';
    jcurves.push_back(
        {{"model", c.model}, {"train_error", c.train_error}, {"test_error", c.test_error}});
  }
  write_file(folder, "errors.csv", csv.str());

  ExperimentOutput out;
  ExperimentResult& r = out.result;
  r.title = "Depth: plain-" + std::to_string(shallow) + "/" + std::to_string(deep) +
            " against ResNet-" + std::to_string(shallow) + "/" + std::to_string(deep) +
            " (He et al. 2015, figure 6)";
  std::ostringstream setup;
  setup << "The small-image networks of the ResNet paper (3 stages of 16/32/64 channels, batch "
           "normalization after every convolution; plain = the same without shortcuts) trained "
           "by cnn's Trainer on the first "
        << base.train_limit << " Fashion-MNIST training images for " << base.epochs
        << " epochs (batch " << base.batch_size
        << ", SGD with Nesterov momentum 0.9, weight decay 5e-4, one-cycle learning rate peaking "
           "at 0.1, no augmentation, seed "
        << base.seed << "); test error on the first " << base.test_limit
        << " test images. Training error = share of training images misclassified during each "
           "epoch (the weights move while it is counted), as in the paper's curves.";
  r.setup = setup.str();
  r.claims.push_back({"architectures_differ",
                      "final training error: " + ps.label + " " + percent(ps.final_train()) + ", " +
                          pd.label + " " + percent(pd.final_train()) +
                          ": the deeper plain network, which can express everything the "
                          "shallower one can, fits the training images " +
                          (pd.final_train() > ps.final_train() ? "worse" : "no worse"),
                      pd.final_train() > ps.final_train()});
  r.claims.push_back({"skip_preserves_gradients",
                      "final training error: " + rs.label + " " + percent(rs.final_train()) + ", " +
                          rd.label + " " + percent(rd.final_train()) + " (" + pd.label + " " +
                          percent(pd.final_train()) + "): with skips, the deeper network " +
                          (rd.final_train() <= rs.final_train() ? "fits no worse" : "fits worse"),
                      rd.final_train() <= rs.final_train() && rd.final_train() < pd.final_train()});
  std::string tests = "final test error:";
  for (const Curve& c : curves) tests += " " + c.label + " " + percent(c.final_test()) + ",";
  tests.back() = '.';
  r.notes.push_back(tests);

  std::vector<plot::Series> both, train_only;
  for (const Curve& c : curves) {
    plot::Series tr{c.label + " train", {}, {}}, te{c.label + " test", {}, {}};
    for (size_t e = 0; e < c.train_error.size(); ++e) {
      tr.x.push_back(static_cast<double>(e + 1));
      te.x.push_back(static_cast<double>(e + 1));
      tr.y.push_back(100.0 * c.train_error[e]);
      te.y.push_back(100.0 * c.test_error[e]);
    }
    both.push_back(tr);
    both.push_back(te);
    train_only.push_back(tr);
  }
  plot(folder, "error-curves.png",
       "Training and test error by epoch of the four networks (the paper's figure 6 on "
       "Fashion-MNIST).",
       "Plain and residual networks: error by epoch", "epoch", "error (%)", both,
       {.width = 900, .height = 600, .integer_x = true}, r.pictures);
  plot(folder, "train-error.png", "Training error alone: deeper is worse without skips.",
       "Training error by epoch", "epoch", "training error (%)", train_only,
       {.width = 900, .height = 600, .integer_x = true}, r.pictures);
  r.data_files = {"errors.csv", "result.json"};
  for (const Curve& c : curves) r.data_files.push_back(c.model + "/metrics.csv");
  out.measurements = {{"curves", jcurves},
                      {"epochs", base.epochs},
                      {"train_limit", base.train_limit},
                      {"depths", {shallow, deep}}};
  return out;
}

}  // namespace cnn::lab::detail
