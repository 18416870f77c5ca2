// Example 1: train a small convolutional network with a hand-written training loop.
//
//   train_small_cnn [FASHION_MNIST_FOLDER] [STEPS]
//
// Reads Fashion-MNIST (28x28 gray images of clothes in 10 classes; Debian's
// dataset-fashion-mnist package puts it in /usr/share/datasets/fashion-mnist), trains for STEPS
// mini-batches of 64 images (default 300) and prints the average loss every 25 steps: it falls
// as the network learns. Then it reports the accuracy on 1,000 test images.
#include <cnn/cnn.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

using namespace cnn;

int main(int argc, char** argv) {
  const std::string folder = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  const int64_t steps = argc > 2 ? std::atoll(argv[2]) : 300;
  if (argc > 3 || steps <= 0 || folder.starts_with("-")) {
    std::fprintf(stderr, "usage: %s [FASHION_MNIST_FOLDER] [STEPS]\n", argv[0]);
    return 2;
  }
  try {
    // Images are NHWC tensors: [N, 28, 28, 1] with values in [0, 1]; labels are int64 [N].
    data::ImageClassificationData fashion = data::fashion_mnist(folder);
    auto train_set = std::make_shared<data::TensorDataset>(fashion.train, fashion.class_names);

    // The network: two convolution + ReLU + 2x2 max-pool stages, then one linear layer.
    // Every random number comes from an explicit Generator, so a run is repeatable.
    Generator gen(1);
    auto model = std::make_shared<nn::Sequential>(
        std::make_shared<nn::Conv2d>(1, 16, nn::Conv2dOptions{.kernel = 3, .padding = 1}, gen),
        std::make_shared<nn::ReLU>(),
        std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{.kernel = 2}),  // 28x28 -> 14x14
        std::make_shared<nn::Conv2d>(16, 32, nn::Conv2dOptions{.kernel = 3, .padding = 1}, gen),
        std::make_shared<nn::ReLU>(),
        std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{.kernel = 2}),  // 14x14 -> 7x7
        std::make_shared<nn::Flatten>(),                                 // [N, 7 * 7 * 32]
        std::make_shared<nn::Linear>(7 * 7 * 32, 10, gen));
    std::printf("%s\n%lld parameters\n", folder.c_str(),
                static_cast<long long>(model->parameter_count()));

    optim::SGD optimizer(model->parameters(), {.lr = 0.05f, .momentum = 0.9f});
    data::DataLoader loader(train_set, /*transform=*/nullptr,
                            {.batch_size = 64, .shuffle = true, .seed = 1});

    // The training loop: forward, loss, backward, update.
    int64_t step = 0;
    double loss_sum = 0;
    for (int64_t epoch = 0; step < steps; ++epoch) {
      for (data::Batch& batch : loader.epoch(epoch)) {
        Tensor logits = (*model)(batch.x);             // [64, 10]
        Tensor loss = cross_entropy(logits, batch.y);  // a scalar: mean over the batch
        optimizer.zero_grad();
        loss.backward();  // fills each parameter's grad()
        optimizer.step();

        loss_sum += loss.item();
        if (++step % 25 == 0) {
          std::printf("step %4lld  loss %.4f\n", static_cast<long long>(step), loss_sum / 25);
          loss_sum = 0;
        }
        if (step == steps) break;
      }
    }

    // Accuracy on the first 1,000 test images: evaluation mode, no graph recorded.
    model->eval();
    NoGradGuard no_grad;
    const int64_t n = 1000;
    Tensor logits = (*model)(fashion.test.images.slice(0, 0, n));
    const std::vector<float> scores = logits.to_vector();
    const std::vector<int64_t> labels = fashion.test.labels.slice(0, 0, n).to_vector_i64();
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i) {
      int64_t best = 0;
      for (int64_t c = 1; c < 10; ++c)
        if (scores[i * 10 + c] > scores[i * 10 + best]) best = c;
      correct += best == labels[i];
    }
    std::printf("test accuracy on %lld images: %.1f %%\n", static_cast<long long>(n),
                100.0 * static_cast<double>(correct) / static_cast<double>(n));
  } catch (const std::exception& e) {  // cnn::Error says what went wrong and where
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
