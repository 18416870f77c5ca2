// `cnn train`: trains a model on an MNIST-layout data set (Fashion-MNIST by default) with SGD
// and reports the loss and accuracy on the training and test images after each epoch.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>

#include "cnn/cnn.h"
#include "cnn/data/idx.h"
#include "cnn/models/registry.h"
#include "cnn/optim/sgd.h"
#include "commands.h"

namespace cnn::tool {
namespace {

struct TrainConfig {
  std::string model = "resnet20";
  std::string data = "/usr/share/datasets/fashion-mnist";
  int epochs = 1;
  int batch_size = 128;
  float lr = 0.1f;
  float momentum = 0.9f;
  float weight_decay = 5e-4f;
  uint64_t seed = 1;
  int threads = 0;
  int64_t train_limit = 0;
};

// Per-channel statistics of the training images, for normalization.
std::pair<float, float> mean_and_std(const Tensor& images) {
  const float* p = images.data();
  double sum = 0.0, sq = 0.0;
  const int64_t n = images.numel();
  for (int64_t i = 0; i < n; ++i) {
    sum += p[i];
    sq += static_cast<double>(p[i]) * p[i];
  }
  const double mean = sum / static_cast<double>(n);
  return {static_cast<float>(mean), static_cast<float>(std::sqrt(sq / static_cast<double>(n) - mean * mean))};
}

// Copies the images at `order[begin, end)` into a normalized batch [B, H, W, C].
std::pair<Tensor, Tensor> gather(const data::LabeledImages& set, const std::vector<int64_t>& order,
                                 size_t begin, size_t end, float mean, float stddev) {
  const int64_t per_image = set.images.numel() / set.images.size(0);
  Shape shape = set.images.shape();
  shape[0] = static_cast<int64_t>(end - begin);
  Tensor x = Tensor::empty(shape);
  Tensor y = Tensor::empty({shape[0]}, DType::i64);
  const float* src = set.images.data();
  const int64_t* labels = set.labels.data_i64();
  float* dst = x.data();
  for (size_t i = begin; i < end; ++i) {
    const float* image = src + order[i] * per_image;
    float* out = dst + static_cast<int64_t>(i - begin) * per_image;
    for (int64_t k = 0; k < per_image; ++k) out[k] = (image[k] - mean) / stddev;
    y.data_i64()[i - begin] = labels[order[i]];
  }
  return {x, y};
}

int64_t correct_predictions(const Tensor& logits, const Tensor& labels) {
  const int64_t n = logits.size(0), classes = logits.size(1);
  const float* p = logits.data();
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = p + i * classes;
    if (std::max_element(row, row + classes) - row == labels.data_i64()[i]) ++correct;
  }
  return correct;
}

struct Score {
  double loss = 0.0;
  double accuracy = 0.0;
};

Score evaluate(nn::Module& model, const data::LabeledImages& set, int batch_size, float mean,
               float stddev) {
  NoGradGuard no_grad;
  model.eval();
  std::vector<int64_t> order(static_cast<size_t>(set.images.size(0)));
  std::iota(order.begin(), order.end(), 0);
  double loss = 0.0;
  int64_t correct = 0;
  for (size_t b = 0; b < order.size(); b += static_cast<size_t>(batch_size)) {
    const size_t e = std::min(order.size(), b + static_cast<size_t>(batch_size));
    auto [x, y] = gather(set, order, b, e, mean, stddev);
    const Tensor logits = model.forward(x);
    loss += cross_entropy(logits, y, {.reduction = Reduction::sum}).item();
    correct += correct_predictions(logits, y);
  }
  model.train();
  const double n = static_cast<double>(order.size());
  return {loss / n, static_cast<double>(correct) / n};
}

int run_train(const TrainConfig& c) {
  if (c.threads > 0) set_num_threads(c.threads);
  if (!models::exists(c.model)) {
    std::string known;
    for (const std::string& name : models::names()) known.append(known.empty() ? "" : ", ").append(name);
    fail("unknown model '", c.model, "' (available: ", known, ")");
  }
  std::printf("loading %s\n", c.data.c_str());
  data::ImageClassificationData data = data::fashion_mnist(c.data);
  if (c.train_limit > 0 && c.train_limit < data.train.images.size(0)) {
    data.train.images = data.train.images.slice(0, 0, c.train_limit).contiguous();
    data.train.labels = data.train.labels.slice(0, 0, c.train_limit).contiguous();
  }
  const auto [mean, stddev] = mean_and_std(data.train.images);
  Generator gen(c.seed);
  auto model_ptr = models::create(c.model, {.classes = static_cast<int64_t>(data.class_names.size()),
                                            .in_channels = data.train.images.size(-1)},
                                  gen);
  nn::Module& model = *model_ptr;
  optim::SGD opt(model.parameters(), {.lr = c.lr, .momentum = c.momentum,
                                      .weight_decay = c.weight_decay, .nesterov = true});
  const int64_t n = data.train.images.size(0);
  std::printf("model %s: %lld parameters; %lld training images, %lld test images, %d threads\n",
              c.model.c_str(), static_cast<long long>(model.parameter_count()),
              static_cast<long long>(n), static_cast<long long>(data.test.images.size(0)),
              num_threads());
  std::printf("%5s %10s %9s %9s %8s %8s %9s\n", "epoch", "train_loss", "train_acc", "test_loss",
              "test_acc", "seconds", "images/s");
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int epoch = 1; epoch <= c.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[gen.below(i)]);
    double loss_sum = 0.0;
    int64_t correct = 0;
    for (size_t b = 0; b < order.size(); b += static_cast<size_t>(c.batch_size)) {
      const size_t e = std::min(order.size(), b + static_cast<size_t>(c.batch_size));
      auto [x, y] = gather(data.train, order, b, e, mean, stddev);
      const Tensor logits = model.forward(x);
      const Tensor loss = cross_entropy(logits, y);
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += static_cast<double>(loss.item()) * static_cast<double>(e - b);
      correct += correct_predictions(logits, y);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const Score test = evaluate(model, data.test, 500, mean, stddev);
    std::printf("%5d %10.4f %8.2f%% %9.4f %7.2f%% %8.1f %9.1f\n", epoch,
                loss_sum / static_cast<double>(n), 100.0 * static_cast<double>(correct) / static_cast<double>(n),
                test.loss, 100.0 * test.accuracy, seconds, static_cast<double>(n) / seconds);
    std::fflush(stdout);
  }
  return 0;
}

// CLI11's numeric range validators print the range's limits in full; this one says what it checks.
const CLI::Validator kPositive(
    [](std::string& value) {
      try {
        size_t used = 0;
        if (std::stod(value, &used) > 0.0 && used == value.size()) return std::string();
      } catch (const std::exception&) {
      }
      return "must be a positive number, got '" + value + "'";
    },
    "POSITIVE");

const CLI::Validator kNonNegative(
    [](std::string& value) {
      try {
        size_t used = 0;
        if (std::stod(value, &used) >= 0.0 && used == value.size()) return std::string();
      } catch (const std::exception&) {
      }
      return "must be zero or positive, got '" + value + "'";
    },
    "NON-NEGATIVE");

}  // namespace

Run add_train_command(CLI::App& app) {
  auto config = std::make_shared<TrainConfig>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model on Fashion-MNIST (or another MNIST-layout folder)");
  cmd->add_option("--model", config->model, "resnet20 | resnet32 | resnet44 | resnet56 | resnet110 | plain20 ... plain110")
      ->capture_default_str();
  cmd->add_option("--data", config->data, "folder with the four IDX files (optionally .gz)")
      ->capture_default_str();
  cmd->add_option("--epochs", config->epochs, "passes over the training images")
      ->check(kPositive)->capture_default_str();
  cmd->add_option("--batch-size", config->batch_size, "images per step")
      ->check(kPositive)->capture_default_str();
  cmd->add_option("--lr", config->lr, "learning rate of SGD with Nesterov momentum")
      ->check(kPositive)->capture_default_str();
  cmd->add_option("--momentum", config->momentum, "momentum")->check(CLI::Range(0.0, 1.0, "0 TO 1"))->capture_default_str();
  cmd->add_option("--weight-decay", config->weight_decay, "L2 weight decay")
      ->check(kNonNegative)->capture_default_str();
  cmd->add_option("--seed", config->seed, "seed of initialization and shuffling")->capture_default_str();
  cmd->add_option("--threads", config->threads, "threads (0: all cores)")
      ->check(kNonNegative)->capture_default_str();
  cmd->add_option("--train-limit", config->train_limit, "use only the first N training images (0: all)")
      ->check(kNonNegative)->capture_default_str();
  return [config] { return run_train(*config); };
}

}  // namespace cnn::tool
