// Example 2: classify an image with a torchvision model and its PyTorch weights.
//
//   classify_image MODEL WEIGHTS IMAGE [LABELS]
//   classify_image resnet18 resnet18.pth cat.jpg imagenet_classes.txt
//
// MODEL is a torchvision architecture cnn knows ("resnet18", "mobilenet_v2", ...; `cnn summary
// --list` names them all), WEIGHTS its state_dict as saved by torch.save(model.state_dict(),
// "resnet18.pth") or as .safetensors, IMAGE a PNG or JPEG file, and LABELS an optional text
// file with one class name per line. Prints the five most likely of the 1,000 ImageNet classes.
#include <cnn/cnn.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

using namespace cnn;

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    std::fprintf(stderr,
                 "usage: %s MODEL WEIGHTS IMAGE [LABELS]\n"
                 "  e.g. %s resnet18 resnet18.pth cat.jpg imagenet_classes.txt\n",
                 argv[0], argv[0]);
    return 2;
  }
  const std::string model_name = argv[1], weights = argv[2], image_path = argv[3];
  try {
    if (!models::exists(model_name)) {
      std::fprintf(stderr, "unknown model '%s'\n", model_name.c_str());
      return 2;
    }
    // The architecture, then torchvision's weights in place of its random ones. load_weights
    // converts PyTorch's layouts (convolution weights OIHW -> HWIO) and checks every name and
    // shape.
    Generator gen(0);
    auto model = models::create(model_name, {.classes = 1000, .in_channels = 3}, gen);
    io::load_weights(*model, weights);
    model->eval();  // batch norm uses its running statistics, dropout is off

    // The image as float32 [H, W, 3] in [0, 1], prepared as torchvision's ImageNet models
    // expect: 224x224 (resized, here without keeping the aspect ratio) and normalized with
    // ImageNet's mean and standard deviation per channel.
    Tensor image = data::decode_image(image_path, {.channels = 3});
    Generator unused(0);  // transforms take a Generator; these two draw nothing from it
    data::Resize({224, 224}).apply(image, unused);
    data::Normalize({0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}).apply(image, unused);

    // A batch of one image, [1, 224, 224, 3] (NHWC), through the network without recording
    // the graph, then softmax over the 1,000 class scores.
    NoGradGuard no_grad;
    Tensor probabilities = softmax((*model)(image.reshape({1, 224, 224, 3})), -1);
    const std::vector<float> p = probabilities.to_vector();

    std::vector<std::string> labels;
    if (argc == 5) {
      std::ifstream file(argv[4]);
      if (!file) {
        std::fprintf(stderr, "cannot read labels file %s\n", argv[4]);
        return 1;
      }
      for (std::string line; std::getline(file, line);) labels.push_back(line);
    }

    // The five largest probabilities.
    std::vector<size_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + 5, order.end(),
                      [&](size_t a, size_t b) { return p[a] > p[b]; });
    std::printf("%s (%s):\n", image_path.c_str(), model_name.c_str());
    for (size_t k = 0; k < 5; ++k) {
      const size_t c = order[k];
      std::string name = "class ";
      name.append(std::to_string(c));
      if (c < labels.size()) name = labels[c];
      std::printf("  %5.1f %%  %s\n", 100.0 * p[c], name.c_str());
    }
  } catch (const std::exception& e) {  // cnn::Error names the file and the problem
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
