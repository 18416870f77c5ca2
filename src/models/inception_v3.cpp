#include "cnn/models/inception_v3.h"

#include "cnn/ops/pool.h"
#include "cnn/ops/shape.h"

namespace cnn::models {
namespace {

using Opt = nn::Conv2dOptions;

// The pooling branches of torchvision's modules are functional calls, not children.
Tensor avg3x3(const Tensor& x) {
  return avg_pool2d(x, {.kernel = 3, .stride = 1, .padding = 1});
}
Tensor max3x3s2(const Tensor& x) {
  return max_pool2d(x, {.kernel = 3, .stride = 2});
}

}  // namespace

// Registers a BasicConv2d under torchvision's attribute name.
#define CNN_BASIC(member, name, in, out, ...) \
  member = register_module(name, std::make_shared<BasicConv2d>(in, out, Opt{__VA_ARGS__}, gen))

InceptionA::InceptionA(int64_t in, int64_t pool_features, Generator& gen) : Module("InceptionA") {
  CNN_BASIC(branch1x1_, "branch1x1", in, 64, .kernel = 1);
  CNN_BASIC(branch5x5_1_, "branch5x5_1", in, 48, .kernel = 1);
  CNN_BASIC(branch5x5_2_, "branch5x5_2", 48, 64, .kernel = 5, .padding = 2);
  CNN_BASIC(branch3x3dbl_1_, "branch3x3dbl_1", in, 64, .kernel = 1);
  CNN_BASIC(branch3x3dbl_2_, "branch3x3dbl_2", 64, 96, .kernel = 3, .padding = 1);
  CNN_BASIC(branch3x3dbl_3_, "branch3x3dbl_3", 96, 96, .kernel = 3, .padding = 1);
  CNN_BASIC(branch_pool_, "branch_pool", in, pool_features, .kernel = 1);
}

Tensor InceptionA::forward(const Tensor& x) {
  return concat({(*branch1x1_)(x), (*branch5x5_2_)((*branch5x5_1_)(x)),
                 (*branch3x3dbl_3_)((*branch3x3dbl_2_)((*branch3x3dbl_1_)(x))),
                 (*branch_pool_)(avg3x3(x))});
}

InceptionB::InceptionB(int64_t in, Generator& gen) : Module("InceptionB") {
  CNN_BASIC(branch3x3_, "branch3x3", in, 384, .kernel = 3, .stride = 2);
  CNN_BASIC(branch3x3dbl_1_, "branch3x3dbl_1", in, 64, .kernel = 1);
  CNN_BASIC(branch3x3dbl_2_, "branch3x3dbl_2", 64, 96, .kernel = 3, .padding = 1);
  CNN_BASIC(branch3x3dbl_3_, "branch3x3dbl_3", 96, 96, .kernel = 3, .stride = 2);
}

Tensor InceptionB::forward(const Tensor& x) {
  return concat({(*branch3x3_)(x), (*branch3x3dbl_3_)((*branch3x3dbl_2_)((*branch3x3dbl_1_)(x))),
                 max3x3s2(x)});
}

InceptionC::InceptionC(int64_t in_channels, int64_t channels_7x7, Generator& gen)
    : Module("InceptionC") {
  const Size2 k1x7{1, 7}, k7x1{7, 1};
  const Pad2d p1x7{0, 3}, p7x1{3, 0};
  CNN_BASIC(branch1x1_, "branch1x1", in_channels, 192, .kernel = 1);
  CNN_BASIC(branch7x7_1_, "branch7x7_1", in_channels, channels_7x7, .kernel = 1);
  CNN_BASIC(branch7x7_2_, "branch7x7_2", channels_7x7, channels_7x7, .kernel = k1x7,
            .padding = p1x7);
  CNN_BASIC(branch7x7_3_, "branch7x7_3", channels_7x7, 192, .kernel = k7x1, .padding = p7x1);
  CNN_BASIC(branch7x7dbl_1_, "branch7x7dbl_1", in_channels, channels_7x7, .kernel = 1);
  CNN_BASIC(branch7x7dbl_2_, "branch7x7dbl_2", channels_7x7, channels_7x7, .kernel = k7x1,
            .padding = p7x1);
  CNN_BASIC(branch7x7dbl_3_, "branch7x7dbl_3", channels_7x7, channels_7x7, .kernel = k1x7,
            .padding = p1x7);
  CNN_BASIC(branch7x7dbl_4_, "branch7x7dbl_4", channels_7x7, channels_7x7, .kernel = k7x1,
            .padding = p7x1);
  CNN_BASIC(branch7x7dbl_5_, "branch7x7dbl_5", channels_7x7, 192, .kernel = k1x7, .padding = p1x7);
  CNN_BASIC(branch_pool_, "branch_pool", in_channels, 192, .kernel = 1);
}

Tensor InceptionC::forward(const Tensor& x) {
  Tensor b7 = (*branch7x7_3_)((*branch7x7_2_)((*branch7x7_1_)(x)));
  Tensor d7 = (*branch7x7dbl_3_)((*branch7x7dbl_2_)((*branch7x7dbl_1_)(x)));
  d7 = (*branch7x7dbl_5_)((*branch7x7dbl_4_)(d7));
  return concat({(*branch1x1_)(x), b7, d7, (*branch_pool_)(avg3x3(x))});
}

InceptionD::InceptionD(int64_t in, Generator& gen) : Module("InceptionD") {
  CNN_BASIC(branch3x3_1_, "branch3x3_1", in, 192, .kernel = 1);
  CNN_BASIC(branch3x3_2_, "branch3x3_2", 192, 320, .kernel = 3, .stride = 2);
  CNN_BASIC(branch7x7x3_1_, "branch7x7x3_1", in, 192, .kernel = 1);
  CNN_BASIC(branch7x7x3_2_, "branch7x7x3_2", 192, 192, .kernel = Size2(1, 7),
            .padding = Pad2d(0, 3));
  CNN_BASIC(branch7x7x3_3_, "branch7x7x3_3", 192, 192, .kernel = Size2(7, 1),
            .padding = Pad2d(3, 0));
  CNN_BASIC(branch7x7x3_4_, "branch7x7x3_4", 192, 192, .kernel = 3, .stride = 2);
}

Tensor InceptionD::forward(const Tensor& x) {
  Tensor b3 = (*branch3x3_2_)((*branch3x3_1_)(x));
  Tensor b7 = (*branch7x7x3_4_)((*branch7x7x3_3_)((*branch7x7x3_2_)((*branch7x7x3_1_)(x))));
  return concat({b3, b7, max3x3s2(x)});
}

InceptionE::InceptionE(int64_t in, Generator& gen) : Module("InceptionE") {
  const Size2 k1x3{1, 3}, k3x1{3, 1};
  const Pad2d p1x3{0, 1}, p3x1{1, 0};
  CNN_BASIC(branch1x1_, "branch1x1", in, 320, .kernel = 1);
  CNN_BASIC(branch3x3_1_, "branch3x3_1", in, 384, .kernel = 1);
  CNN_BASIC(branch3x3_2a_, "branch3x3_2a", 384, 384, .kernel = k1x3, .padding = p1x3);
  CNN_BASIC(branch3x3_2b_, "branch3x3_2b", 384, 384, .kernel = k3x1, .padding = p3x1);
  CNN_BASIC(branch3x3dbl_1_, "branch3x3dbl_1", in, 448, .kernel = 1);
  CNN_BASIC(branch3x3dbl_2_, "branch3x3dbl_2", 448, 384, .kernel = 3, .padding = 1);
  CNN_BASIC(branch3x3dbl_3a_, "branch3x3dbl_3a", 384, 384, .kernel = k1x3, .padding = p1x3);
  CNN_BASIC(branch3x3dbl_3b_, "branch3x3dbl_3b", 384, 384, .kernel = k3x1, .padding = p3x1);
  CNN_BASIC(branch_pool_, "branch_pool", in, 192, .kernel = 1);
}

Tensor InceptionE::forward(const Tensor& x) {
  Tensor b3 = (*branch3x3_1_)(x);
  Tensor d3 = (*branch3x3dbl_2_)((*branch3x3dbl_1_)(x));
  return concat({(*branch1x1_)(x), (*branch3x3_2a_)(b3), (*branch3x3_2b_)(b3),
                 (*branch3x3dbl_3a_)(d3), (*branch3x3dbl_3b_)(d3), (*branch_pool_)(avg3x3(x))});
}

InceptionV3::InceptionV3(const InceptionV3Options& options, Generator& gen)
    : Module("Inception3"), transform_input_(options.transform_input) {
  CNN_CHECK(options.classes >= 1 && options.in_channels >= 1,
            "InceptionV3: classes and in_channels must be positive, got ", options.classes, " and ",
            options.in_channels);
  CNN_CHECK(!options.transform_input || options.in_channels == 3,
            "InceptionV3: transform_input needs 3 input channels, got ", options.in_channels);
  CNN_BASIC(conv1a_, "Conv2d_1a_3x3", options.in_channels, 32, .kernel = 3, .stride = 2);
  CNN_BASIC(conv2a_, "Conv2d_2a_3x3", 32, 32, .kernel = 3);
  CNN_BASIC(conv2b_, "Conv2d_2b_3x3", 32, 64, .kernel = 3, .padding = 1);
  maxpool1_ = register_module(
      "maxpool1", std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{.kernel = 3, .stride = 2}));
  CNN_BASIC(conv3b_, "Conv2d_3b_1x1", 64, 80, .kernel = 1);
  CNN_BASIC(conv4a_, "Conv2d_4a_3x3", 80, 192, .kernel = 3);
  maxpool2_ = register_module(
      "maxpool2", std::make_shared<nn::MaxPool2d>(MaxPool2dOptions{.kernel = 3, .stride = 2}));
  mixed5b_ = register_module("Mixed_5b", std::make_shared<InceptionA>(192, 32, gen));
  mixed5c_ = register_module("Mixed_5c", std::make_shared<InceptionA>(256, 64, gen));
  mixed5d_ = register_module("Mixed_5d", std::make_shared<InceptionA>(288, 64, gen));
  mixed6a_ = register_module("Mixed_6a", std::make_shared<InceptionB>(288, gen));
  mixed6b_ = register_module("Mixed_6b", std::make_shared<InceptionC>(768, 128, gen));
  mixed6c_ = register_module("Mixed_6c", std::make_shared<InceptionC>(768, 160, gen));
  mixed6d_ = register_module("Mixed_6d", std::make_shared<InceptionC>(768, 160, gen));
  mixed6e_ = register_module("Mixed_6e", std::make_shared<InceptionC>(768, 192, gen));
  mixed7a_ = register_module("Mixed_7a", std::make_shared<InceptionD>(768, gen));
  mixed7b_ = register_module("Mixed_7b", std::make_shared<InceptionE>(1280, gen));
  mixed7c_ = register_module("Mixed_7c", std::make_shared<InceptionE>(2048, gen));
  avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(Size2(1)));
  dropout_ = register_module("dropout", std::make_shared<nn::Dropout>(options.dropout, gen));
  fc_ = register_module("fc", std::make_shared<nn::Linear>(2048, options.classes, gen));
  init_inception_weights(*this, 0.1f, gen);
}

#undef CNN_BASIC

Tensor InceptionV3::forward(const Tensor& x) {
  CNN_CHECK(x.dim() == 4 && x.size(1) >= 75 && x.size(2) >= 75,
            "InceptionV3: needs an input [N, H, W, C] with H, W >= 75, got ", to_string(x.shape()));
  const Tensor input = transform_input_ ? inception_transform_input(x) : x;
  Tensor h = (*maxpool1_)((*conv2b_)((*conv2a_)((*conv1a_)(input))));
  h = (*maxpool2_)((*conv4a_)((*conv3b_)(h)));
  h = (*mixed5d_)((*mixed5c_)((*mixed5b_)(h)));
  h = (*mixed6e_)((*mixed6d_)((*mixed6c_)((*mixed6b_)((*mixed6a_)(h)))));
  h = (*mixed7c_)((*mixed7b_)((*mixed7a_)(h)));
  // The pool leaves 1x1, so flattening NHWC equals flattening NCHW.
  return (*fc_)((*dropout_)((*avgpool_)(h)).flatten(1));
}

}  // namespace cnn::models
