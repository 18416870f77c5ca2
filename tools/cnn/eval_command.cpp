// `cnn eval RUN_OR_CHECKPOINT`: test accuracy, per-class accuracy and the confusion matrix.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "cnn/data/transforms.h"
#include "cnn/train/evaluate.h"
#include "cnn/train/trained_model.h"
#include "commands.h"
#include "inference.h"
#include "options.h"
#include "train/run_setup.h"

namespace cnn::tool {
namespace {

struct EvalArgs {
  train::ModelFileOptions file;
  std::string path;
  std::string data;  // default: the run's own
  int64_t batch_size = 250;
  int64_t limit = 0;
  bool unprepared = false;
};

int run(const EvalArgs& args) {
  const train::TrainedModel t = train::load_trained_model(args.path, args.file);
  const std::string folder = args.data.empty() ? t.config.data : args.data;
  CNN_CHECK(!folder.empty(), args.path,
            ": the model does not say what data it was trained on; give --data FOLDER");
  const train::TrainingData data = train::open_training_data(folder, 1, args.limit);
  CNN_CHECK(data.classes.size() == t.classes.size() && data.image_shape[2] == t.input_shape[2],
            folder, ": its images (", to_string(data.image_shape), ", ", data.classes.size(),
            " classes) do not fit the model (", to_string(t.input_shape), ", ", t.classes.size(),
            " classes)");
  data::DataLoader loader(data.test,
                          train::eval_transform(data.image_shape, t.input_shape, t.normalization),
                          {.batch_size = args.batch_size});
  const auto forward = inference_forward(
      t.model, {args.batch_size, t.input_shape[0], t.input_shape[1], t.input_shape[2]},
      /*measure=*/true, args.unprepared);
  const train::Evaluation e =
      train::evaluate(forward, loader, static_cast<int64_t>(t.classes.size()));

  if (t.path == t.config.model)
    std::printf("model %s\n", t.path.c_str());
  else
    std::printf("checkpoint %s (%s, %lld epochs)\n", t.path.c_str(), t.config.model.c_str(),
                static_cast<long long>(t.epochs_done));
  std::printf("test images %lld from %s\n", static_cast<long long>(e.examples), folder.c_str());
  std::printf("test loss %.4f\ntest accuracy %.2f%%\n\n", e.loss, 100.0 * e.accuracy);
  size_t width = 5;  // room for "<index> <name>" in the matrix rows
  for (size_t c = 0; c < t.classes.size(); ++c)
    width = std::max(width, std::to_string(c).size() + 1 + t.classes[c].size());
  const std::vector<double> per_class = e.per_class_accuracy();
  std::printf("%-*s  accuracy  images\n", static_cast<int>(width), "class");
  for (size_t c = 0; c < t.classes.size(); ++c) {
    int64_t total = 0;
    for (int64_t v : e.confusion[c]) total += v;
    std::printf("%-*s  %7.2f%%  %6lld\n", static_cast<int>(width), t.classes[c].c_str(),
                100.0 * per_class[c], static_cast<long long>(total));
  }
  std::printf("\nconfusion matrix (rows: true class, columns: predicted class)\n%-*s",
              static_cast<int>(width), "");
  for (size_t c = 0; c < t.classes.size(); ++c) std::printf(" %6zu", c);
  std::printf("\n");
  for (size_t r = 0; r < t.classes.size(); ++r) {
    std::printf("%-*s", static_cast<int>(width),
                (std::to_string(r) + " " + t.classes[r]).substr(0, width).c_str());
    for (int64_t v : e.confusion[r]) std::printf(" %6lld", static_cast<long long>(v));
    std::printf("\n");
  }
  return 0;
}

}  // namespace

Run add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval",
                                     "Evaluate a trained model on its test images: accuracy, "
                                     "per-class accuracy, confusion matrix");
  cmd->add_option("run", args->path,
                  "run folder (its best checkpoint), checkpoint file, or ONNX file")
      ->required();
  cmd->add_option("--labels", args->file.labels,
                  "ONNX files: a text file of class names, one per line");
  cmd->add_option("--normalize", args->file.normalize,
                  "ONNX files: imagenet (torchvision's mean and std) or none; default: the file's "
                  "own (cnn export), else none")
      ->check(one_of({"imagenet", "none"}));
  cmd->add_option("--data", args->data, "data folder (default: the one the model was trained on)");
  cmd->add_option("--batch-size", args->batch_size, "images per batch")
      ->check(whole_in(1, train::limits::kMaxBatchSize))
      ->capture_default_str();
  cmd->add_option("--limit", args->limit, "only the first N test images (0: all)")
      ->check(whole_in(0, INT64_MAX / 2))
      ->capture_default_str();
  cmd->add_flag("--unprepared", args->unprepared,
                "run the model as it is, without preparing it for inference first (folded batch "
                "norm, packed weights, measured algorithms; see docs/ARCHITECTURE.md)");
  return [args] { return run(*args); };
}

}  // namespace cnn::tool
