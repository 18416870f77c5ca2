// `cnn predict CHECKPOINT IMAGE...`: the most likely classes of each image, with names and
// probabilities. Images are PNG or JPEG files (converted to the model's channels and resized
// to its input size when they differ) or IDX files of images (every image in them).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <numeric>

#include "cnn/autograd.h"
#include "cnn/data/idx.h"
#include "cnn/data/image.h"
#include "cnn/data/transforms.h"
#include "cnn/ops/activation.h"
#include "cnn/ops/upsample.h"
#include "cnn/train/trained_model.h"
#include "commands.h"
#include "inference.h"
#include "options.h"

namespace cnn::tool {
namespace {

struct PredictArgs {
  train::ModelFileOptions file;
  std::string checkpoint;
  std::vector<std::string> images;
  int64_t top = 3;
  int64_t limit = 10;
  bool unprepared = false;
};

bool is_idx(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  unsigned char head[4] = {1, 1, 1, 1};
  const size_t n = std::fread(head, 1, 4, f);
  std::fclose(f);
  return (n == 4 && head[0] == 0 && head[1] == 0) || (n >= 2 && head[0] == 0x1f && head[1] == 0x8b);
}

// Images [N, H, W, C] in [0, 1] shaped for the model, with a label for each.
std::vector<std::pair<std::string, Tensor>> load_inputs(const std::string& path, const Shape& shape,
                                                        int64_t limit) {
  std::vector<std::pair<std::string, Tensor>> out;
  if (is_idx(path)) {
    const data::IdxArray idx = data::read_idx(path);
    const Tensor images = data::idx_images_to_tensor(idx, path);
    CNN_CHECK(shape[2] == 1, path, ": IDX images have one channel, the model takes ", shape[2]);
    const int64_t n = limit > 0 ? std::min(limit, images.size(0)) : images.size(0);
    for (int64_t i = 0; i < n; ++i) {
      Tensor image = images.slice(0, i, i + 1).contiguous();
      if (image.size(1) != shape[0] || image.size(2) != shape[1]) {  // as training resized them
        NoGradGuard no_grad;
        image = upsample_bilinear2d(image, {shape[0], shape[1]});
      }
      out.emplace_back(path + "[" + std::to_string(i) + "]", image);
    }
    return out;
  }
  const Tensor decoded = data::decode_image(path, {.channels = static_cast<int>(shape[2])});
  Tensor image = decoded.reshape({1, decoded.size(0), decoded.size(1), decoded.size(2)});
  if (image.size(1) != shape[0] || image.size(2) != shape[1]) {
    NoGradGuard no_grad;
    image = upsample_bilinear2d(image, {shape[0], shape[1]});
  }
  out.emplace_back(path, image);
  return out;
}

int run(const PredictArgs& args) {
  const train::TrainedModel t = train::load_trained_model(args.checkpoint, args.file);
  const data::Normalize normalize(t.normalization.mean, t.normalization.stddev);
  const int64_t top = std::min<int64_t>(args.top, static_cast<int64_t>(t.classes.size()));
  // a few images: the default algorithms, not measured ones (measuring costs more than it saves)
  const auto forward =
      inference_forward(t.model, {1, t.input_shape[0], t.input_shape[1], t.input_shape[2]},
                        /*measure=*/false, args.unprepared);
  NoGradGuard no_grad;
  for (const std::string& path : args.images) {
    for (auto& [label, image] : load_inputs(path, t.input_shape, args.limit)) {
      Tensor x = image.reshape({t.input_shape[0], t.input_shape[1], t.input_shape[2]}).clone();
      Generator unused;
      normalize.apply(x, unused);
      const Tensor probs =
          softmax(forward(x.reshape({1, t.input_shape[0], t.input_shape[1], t.input_shape[2]})));
      const std::vector<float> p = probs.to_vector();
      std::vector<size_t> order(p.size());
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + top, order.end(),
                        [&](size_t a, size_t b) { return p[a] > p[b]; });
      std::printf("%s:", label.c_str());
      for (int64_t k = 0; k < top; ++k)
        std::printf("%s %s %.1f%%", k ? "," : "", t.classes[order[static_cast<size_t>(k)]].c_str(),
                    100.0 * p[order[static_cast<size_t>(k)]]);
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace

Run add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand(
      "predict", "Print the most likely classes of images (PNG, JPEG, or IDX files of images)");
  cmd->add_option("checkpoint", args->checkpoint,
                  "run folder (its best checkpoint), checkpoint file, or ONNX file")
      ->required();
  cmd->add_option("--labels", args->file.labels,
                  "ONNX files: a text file of class names, one per line");
  cmd->add_option("--normalize", args->file.normalize,
                  "ONNX files: imagenet (torchvision's mean and std) or none; default: the file's "
                  "own (cnn export), else none")
      ->check(one_of({"imagenet", "none"}));
  cmd->add_option("images", args->images, "image files")->required();
  cmd->add_option("--top", args->top, "how many classes to show per image")
      ->check(whole_in(1, train::limits::kMaxClasses))
      ->capture_default_str();
  cmd->add_option("--limit", args->limit, "images read from each IDX file (0: all)")
      ->check(whole_in(0, INT64_MAX / 2))
      ->capture_default_str();
  cmd->add_flag("--unprepared", args->unprepared,
                "run the model as it is, without preparing it for inference first (folded batch "
                "norm, packed weights; see docs/ARCHITECTURE.md)");
  return [args] { return run(*args); };
}

}  // namespace cnn::tool
