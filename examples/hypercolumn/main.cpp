// Example 3: hypercolumns, the lecture's dense features for every pixel.
//
//   hypercolumn IMAGE [WEIGHTS] [OUT.png]
//
// A ResNet-18 looks at IMAGE (PNG or JPEG; with torchvision's resnet18 weights WEIGHTS if
// given, else with random ones). The outputs of several of its layers, each on a coarser grid
// than the one before, are brought back to the image's grid and concatenated: the hypercolumn
// of pixel (x, y) holds every chosen layer's features at the place of (x, y),
//   L[b, x, y, J_0 + J_1 + ...] = L_0[b, x, y, J_0] ; L_1[b, floor(x X_1 / X), floor(y Y_1 / Y),
//   J_1] ; ...
// The program prints the shapes, then writes OUT.png (default hypercolumn.png): how similar
// each pixel's hypercolumn is to the centre pixel's (cosine similarity, white = most similar).
#include <cnn/cnn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

using namespace cnn;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: %s IMAGE [WEIGHTS] [OUT.png]\n", argv[0]);
    return 2;
  }
  const std::string out_path = argc > 3 ? argv[3] : "hypercolumn.png";
  try {
    Generator gen(0);
    auto model = models::create("resnet18", {.classes = 1000, .in_channels = 3}, gen);
    if (argc > 2) io::load_weights(*model, argv[2]);
    model->eval();
    NoGradGuard no_grad;

    // The image as a batch of one, [1, H, W, 3], normalized as torchvision's models expect.
    Tensor image = data::decode_image(argv[1], {.channels = 3});
    data::Normalize({0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}).apply(image, gen);
    const int64_t height = image.size(0), width = image.size(1);
    Tensor x = image.reshape({1, height, width, 3});

    // The chosen layers' outputs, named as in the model's state_dict: the first convolution
    // (1/2 of the image's size), then the residual stages layer1 (1/4), layer2 (1/8) and
    // layer3 (1/16).
    const std::vector<std::string> layers = {"conv1", "layer1", "layer2", "layer3"};
    const std::vector<Tensor> maps = models::collect_activations(*model, x, layers);
    for (size_t i = 0; i < layers.size(); ++i)
      std::printf("%-7s %s\n", layers[i].c_str(), to_string(maps[i].shape()).c_str());

    // Upsampled to the image's grid and concatenated: [1, H, W, 64 + 64 + 128 + 256].
    Tensor columns = models::hypercolumn(maps, {height, width}).contiguous();
    std::printf("hypercolumns %s\n", to_string(columns.shape()).c_str());

    // Cosine similarity of every pixel's hypercolumn with the centre pixel's.
    const int64_t depth = columns.size(3);
    const float* h = columns.data();
    const float* centre = h + ((height / 2) * width + width / 2) * depth;
    auto norm = [&](const float* v) {
      double s = 0;
      for (int64_t j = 0; j < depth; ++j) s += double{v[j]} * v[j];
      return std::sqrt(s) + 1e-12;
    };
    Tensor similarity = Tensor::zeros({height, width, 1});  // a gray image [H, W, 1]
    float* out = similarity.data();
    for (int64_t p = 0; p < height * width; ++p) {
      const float* v = h + p * depth;
      double dot = 0;
      for (int64_t j = 0; j < depth; ++j) dot += double{v[j]} * centre[j];
      const double cosine = dot / (norm(v) * norm(centre));  // in [-1, 1]
      out[p] = static_cast<float>(std::clamp((cosine + 1) / 2, 0.0, 1.0));
    }
    data::save_png(out_path, similarity);
    std::printf("wrote %s: similarity to the centre pixel's hypercolumn\n", out_path.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
