#include "cnn/models/alexnet.h"

#include "cnn/error.h"
#include "cnn/nn/fused.h"

namespace cnn::models {
namespace {

std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                 int64_t padding, Generator& gen) {
  // PyTorch's default initialization (torchvision's AlexNet keeps it).
  return std::make_shared<nn::Conv2d>(
      in, out, nn::Conv2dOptions{.kernel = kernel, .stride = stride, .padding = padding}, gen);
}

std::shared_ptr<nn::MaxPool2d> maxpool_3_2() {
  return std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{.kernel = 3, .stride = 2});
}

// torchvision flattens NCHW maps, so the first Linear's input index is (c * H + h) * W + w;
// ours are NHWC. Permuting to [N, C, H, W] before flattening makes the Linear weight exactly
// torchvision's (no column permutation at import or export).
Tensor flatten_as_nchw(const Tensor& x) {
  return x.permute({0, 3, 1, 2}).flatten(1);
}

}  // namespace

AlexNet::AlexNet(const ModelOptions& o, Generator& gen, float dropout) : Module("AlexNet") {
  features_ = register_module("features", std::make_shared<nn::Sequential>());
  features_->push_back(conv(o.in_channels, 64, 11, 4, 2, gen));  // 0
  features_->push_back(std::make_shared<nn::ReLU>());
  features_->push_back(maxpool_3_2());
  features_->push_back(conv(64, 192, 5, 1, 2, gen));  // 3
  features_->push_back(std::make_shared<nn::ReLU>());
  features_->push_back(maxpool_3_2());
  features_->push_back(conv(192, 384, 3, 1, 1, gen));  // 6
  features_->push_back(std::make_shared<nn::ReLU>());
  features_->push_back(conv(384, 256, 3, 1, 1, gen));  // 8
  features_->push_back(std::make_shared<nn::ReLU>());
  features_->push_back(conv(256, 256, 3, 1, 1, gen));  // 10
  features_->push_back(std::make_shared<nn::ReLU>());
  features_->push_back(maxpool_3_2());
  avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(Size2(6, 6)));
  classifier_ = register_module("classifier", std::make_shared<nn::Sequential>());
  classifier_->push_back(std::make_shared<nn::Dropout>(dropout, gen));
  classifier_->push_back(std::make_shared<nn::Linear>(256 * 6 * 6, 4096, gen));  // 1
  classifier_->push_back(std::make_shared<nn::ReLU>());
  classifier_->push_back(std::make_shared<nn::Dropout>(dropout, gen));
  classifier_->push_back(std::make_shared<nn::Linear>(4096, 4096, gen));  // 4
  classifier_->push_back(std::make_shared<nn::ReLU>());
  classifier_->push_back(std::make_shared<nn::Linear>(4096, o.classes, gen));  // 6
}

Tensor AlexNet::forward(const Tensor& x) {
  CNN_CHECK(x.dim() == 4 && x.size(1) >= 63 && x.size(2) >= 63,
            "AlexNet: expected input [N, H, W, C] with H, W >= 63, got ", to_string(x.shape()));
  // each conv, relu pair of the features is one convolution in inference (nn/fused.h)
  return (*classifier_)(flatten_as_nchw((*avgpool_)(nn::sequential_conv_bn_act(*features_, x))));
}

AlexNetLecture::AlexNetLecture(const ModelOptions& o, Generator& gen,
                               const AlexNetLectureOptions& lecture)
    : Module("AlexNetLecture") {
  // The paper's normalization b = a / (k + alpha * sum a^2)^beta with k = 2, n = 5,
  // alpha = 1e-4, beta = 0.75; PyTorch's (and ours) divides alpha by the window size, hence 5e-4.
  auto lrn = [] {
    return std::make_shared<nn::LocalResponseNorm>(
        LocalResponseNormOptions{.size = 5, .alpha = 5e-4f, .beta = 0.75f, .k = 2.0f});
  };
  features_ = register_module("features", std::make_shared<nn::Sequential>());
  features_->push_back(conv(o.in_channels, 96, 11, 4, 0, gen));  // 227 -> 55
  features_->push_back(std::make_shared<nn::ReLU>());
  if (lecture.local_response_norm) features_->push_back(lrn());
  features_->push_back(maxpool_3_2());  // 55 -> 27
  features_->push_back(conv(96, 256, 5, 1, 2, gen));
  features_->push_back(std::make_shared<nn::ReLU>());
  if (lecture.local_response_norm) features_->push_back(lrn());
  features_->push_back(maxpool_3_2());  // 27 -> 13
  features_->push_back(conv(256, 384, 3, 1, 1, gen));
  features_->push_back(std::make_shared<nn::ReLU>());
  features_->push_back(conv(384, 384, 3, 1, 1, gen));
  features_->push_back(std::make_shared<nn::ReLU>());
  features_->push_back(conv(384, 256, 3, 1, 1, gen));
  features_->push_back(std::make_shared<nn::ReLU>());
  features_->push_back(maxpool_3_2());  // 13 -> 6
  classifier_ = register_module("classifier", std::make_shared<nn::Sequential>());
  if (lecture.dropout) classifier_->push_back(std::make_shared<nn::Dropout>(0.5f, gen));
  classifier_->push_back(std::make_shared<nn::Linear>(256 * 6 * 6, 4096, gen));
  classifier_->push_back(std::make_shared<nn::ReLU>());
  if (lecture.dropout) classifier_->push_back(std::make_shared<nn::Dropout>(0.5f, gen));
  classifier_->push_back(std::make_shared<nn::Linear>(4096, 4096, gen));
  classifier_->push_back(std::make_shared<nn::ReLU>());
  // The lecture writes s = ReLU(FC(L10)) for the class scores. We leave the logits without a
  // ReLU, as the paper's softmax layer does: a ReLU would clamp every negative score to 0 and
  // stop the gradient of cross-entropy for those classes.
  classifier_->push_back(std::make_shared<nn::Linear>(4096, o.classes, gen));
}

Tensor AlexNetLecture::forward(const Tensor& x) {
  Tensor h = nn::sequential_conv_bn_act(*features_, x);  // conv, relu fused as above
  CNN_CHECK(h.size(1) == 6 && h.size(2) == 6, "AlexNetLecture: the input ", to_string(x.shape()),
            " gives a ", h.size(1), "x", h.size(2),
            " feature grid; the listing's FC layer needs 6x6 (a 227x227 input)");
  return (*classifier_)(flatten_as_nchw(h));
}

std::shared_ptr<nn::Module> alexnet(const ModelOptions& options, Generator& gen) {
  return std::make_shared<AlexNet>(options, gen);
}

std::shared_ptr<nn::Module> alexnet_lecture(const ModelOptions& options, Generator& gen) {
  return std::make_shared<AlexNetLecture>(options, gen);
}

}  // namespace cnn::models
