#include "cnn/lab/lecture.h"

#include "cnn/error.h"

namespace cnn::lab {

const std::vector<LectureQuote>& lecture_quotes() {
  static const std::vector<LectureQuote> quotes = {
      {"sigmoid_gradient_small", "The gradient of this function is quite small for |x| > 4.", "",
       "Activation Function Saturation"},
      {"sigmoids_vanish",
       "In deep networks backpropagation can go through many sigmoids and the gradient can "
       "\"vanish\"",
       "", "Activation Function Saturation"},
      {"small_weights_vanish",
       "If the weights are small then the neuron values, and hence the weight gradients, "
       "decrease exponentially with depth.",
       "", "Repeated Multiplication by Network Weights"},
      {"large_weights_explode",
       "If the weights are large, and the activation functions do not saturate, then the neuron "
       "values, and hence the weight gradients, increase exponentially with depth.",
       "", "Repeated Multiplication by Network Weights"},
      {"xavier_preserves",
       "Initialize a weight matrix (or tensor) to preserve zero-mean unit variance distributions.",
       "", "Xavier Initialization"},
      {"xavier_independence",
       "Assuming independence this gives zero mean and unit variance for y_j", "",
       "Xavier Initialization"},
      {"batchnorm_covariate_shift",
       "It is intuitively justified in terms of \"internal covariate shift\": as the inputs to a "
       "layer change the zero mean unit variance property underlying Xavier initialization are "
       "maintained.",
       "", "Batch Normalization"},
      {"batchnorm_useful",
       "Batch Normalization appears to be generally useful in CNNs but is not always used.", "",
       "Batch Normalization"},
      {"skip_preserves_gradients",
       "The skip connections connects input to output directly and hence preserves gradients.", "",
       "ResNet"},
      {"architectures_differ", "Equally expressive architectures differ in trainability.", "",
       "DNNs are Expressive and Trainable"},
      {"threshold_units_logic", "Linear Threshold units generalize logical operations.", "",
       "The Expressive Power of DNNs"},
      {"and_unit", "P \\wedge Q \\approx \\sigma(100 * P + 100 * Q - 150)",
       "P ∧ Q ≈ σ(100 * P + 100 * Q - 150)", "The Expressive Power of DNNs"},
      {"or_unit", "P \\lor Q \\approx \\sigma(100 * P + 100 * Q - 50)",
       "P ∨ Q ≈ σ(100 * P + 100 * Q - 50)", "The Expressive Power of DNNs"},
      {"not_unit", "\\neg P \\approx \\sigma(100 * (1 - P) - 50)", "¬P ≈ σ(100 * (1 - P) - 50)",
       "The Expressive Power of DNNs"},
      {"circuits", "DNNs generalize digital circuits.", "", "The Expressive Power of DNNs"},
      {"universality",
       "Universality Assumption: DNNs are universally expressive (can model any function) and "
       "trainable (the desired function can be found by SGD).",
       "", "DNNs are Expressive and Trainable"},
  };
  return quotes;
}

const LectureQuote& lecture_quote(const std::string& id) {
  for (const LectureQuote& q : lecture_quotes())
    if (q.id == id) return q;
  fail("lab::lecture_quote: no quote with id '", id, "'");
}

}  // namespace cnn::lab
