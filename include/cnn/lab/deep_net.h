/// \file
/// The trainability lab's deep plain network: the lecture's L_{l+1} = sigma(Conv(Phi_l, L_l))
/// repeated `depth` times at the input's resolution, with the knobs the lecture's trainability
/// part turns: the activation sigma, the initialization of Phi, batch normalization before
/// sigma, and residual connections L_{l+1} = L_l + sigma(BN(Conv(Phi_l, L_l))).
///
/// ```text
///   x [N, H, W, in_channels]
///   stem:         L_0 = sigma(BN?(Conv3x3(x)))                   in_channels -> width
///   layer l >= 1: z_l = Conv3x3(L_{l-1}),  L_l = [L_{l-1} +] sigma(BN?(z_l))   width -> width
///   logits = Linear(global average of L_depth)
/// ```
///
/// The stem only lifts the image to `width` channels, so that the layers 1..depth that the lab
/// measures are identical in shape, fan-in and structure (each one residual when `residual`).
/// Every convolution is 3x3, stride 1, zero padding 1, without bias (the lecture's B[j] starts at
/// 0 in every scheme here). The stem and the classifier's weight get the same initialization
/// scheme as the layers; the classifier's bias is 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cnn/generator.h"
#include "cnn/nn/layers.h"

namespace cnn::lab {

enum class Activation { identity, sigmoid, tanh, relu };

/// How every weight is drawn (N = fan-in = 3 * 3 * input channels of a convolution):
/// ```text
///   small:   normal, standard deviation 0.01 whatever N is (the naive small constant scale)
///   large:   normal, standard deviation 1 whatever N is (the naive unit scale)
///   xavier:  the lecture's Xavier, uniform on (-sqrt(3/N), sqrt(3/N)): variance 1/N
///   kaiming: He et al. 2015, normal with variance 2/N (for ReLU, which halves the variance)
/// ```
enum class Init { small, large, xavier, kaiming };

const char* activation_name(Activation a);  ///< "identity", "sigmoid", "tanh", "ReLU"
const char* init_name(Init i);              ///< "small", "large", "Xavier", "Kaiming"

struct DeepNetOptions {
  int64_t depth = 10;  ///< convolution layers, >= 1
  int64_t width = 16;  ///< channels of every layer
  int64_t in_channels = 1;
  int64_t classes = 10;
  Activation activation = Activation::relu;
  Init init = Init::kaiming;
  bool batch_norm = false;  ///< BatchNorm2d between each convolution and its activation
  bool residual = false;    ///< identity skip around every layer after the first
};

/// "ReLU, Kaiming, BN, residual": the setting without its depth.
std::string describe_setting(const DeepNetOptions& options);

/// Fills a linear or convolution weight by `init` (see Init).
void initialize_weight(const Tensor& weight, Init init, Generator& gen);

/// Applies `activation` (identity returns x itself).
Tensor activate(const Tensor& x, Activation activation);

/// One layer: children `conv` and, with batch normalization, `bn`.
class DeepLayer : public nn::Module {
 public:
  DeepLayer(int64_t in_channels, const DeepNetOptions& options, bool skip, Generator& gen);

  struct Parts {
    Tensor pre_activation;  ///< the activation's input: BN(z) with batch norm, else z = Conv(L)
    Tensor output;          ///< L_l
  };
  Parts forward_parts(const Tensor& x);
  Tensor forward(const Tensor& x) override { return forward_parts(x).output; }

  const nn::Conv2d& conv() const { return *conv_; }
  /// Null without batch normalization.
  const nn::BatchNorm2d* bn() const { return bn_.get(); }

 private:
  Activation activation_;
  bool skip_;
  std::shared_ptr<nn::Conv2d> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

/// Children: `stem` (a DeepLayer), `layers` (a Sequential of DeepLayer, named 0 .. depth - 1) and
/// `fc`.
class DeepNet : public nn::Module {
 public:
  /// Raises cnn::Error on a depth, width, in_channels or classes below 1.
  DeepNet(const DeepNetOptions& options, Generator& gen);

  /// x [N, H, W, in_channels] -> logits [N, classes]
  Tensor forward(const Tensor& x) override { return forward_trace(x).logits; }

  struct Trace {
    Tensor logits;
    Tensor stem_output;  ///< L_0 [N, H, W, width]
    std::vector<Tensor>
        pre_activations;          ///< [depth] of [N, H, W, width]: z_1 .. z_depth (after BN)
    std::vector<Tensor> outputs;  ///< [depth] of [N, H, W, width]: L_1 .. L_depth
  };
  Trace forward_trace(const Tensor& x);

  const DeepNetOptions& options() const { return options_; }
  /// The convolution weight of layer l, 1 <= l <= depth.
  const Tensor& conv_weight(int64_t l) const;
  /// Layer l, 1 <= l <= depth.
  const DeepLayer& layer(int64_t l) const;

 private:
  DeepNetOptions options_;
  std::shared_ptr<DeepLayer> stem_;
  std::vector<std::shared_ptr<DeepLayer>> layers_;
  std::shared_ptr<nn::Sequential> sequence_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace cnn::lab
