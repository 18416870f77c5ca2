#include "cnn/models/dense_prediction.h"

#include <map>

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/ops/shape.h"

namespace cnn::models {
namespace {

// The lecture's index map: output row x reads row floor(x * X_l / X) of a layer with X_l rows.
std::vector<int64_t> source_rows(int64_t out, int64_t in) {
  std::vector<int64_t> rows(static_cast<size_t>(out));
  for (int64_t x = 0; x < out; ++x) rows[static_cast<size_t>(x)] = x * in / out;
  return rows;
}

// y[b, x, y, j] = l[b, rows[x], cols[y], j], with its backward (a scatter-add).
Tensor gather_grid(const Tensor& layer, Size2 grid) {
  const Tensor l = layer.contiguous();
  const int64_t n = l.size(0), h = l.size(1), w = l.size(2), c = l.size(3);
  const std::vector<int64_t> rows = source_rows(grid.h, h), cols = source_rows(grid.w, w);
  Tensor out = Tensor::empty({n, grid.h, grid.w, c});
  const float* src = l.data();
  float* dst = out.data();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t x = 0; x < grid.h; ++x)
      for (int64_t y = 0; y < grid.w; ++y)
        std::copy_n(
            src + ((b * h + rows[static_cast<size_t>(x)]) * w + cols[static_cast<size_t>(y)]) * c,
            c, dst + ((b * grid.h + x) * grid.w + y) * c);
  autograd::record("hypercolumn_gather", {layer}, {out},
                   [n, h, w, c, rows, cols, grid](const autograd::TensorList& g) {
                     const Tensor gy = g[0].contiguous();
                     Tensor gx = Tensor::zeros({n, h, w, c});
                     const float* gs = gy.data();
                     float* gd = gx.data();
                     for (int64_t b = 0; b < n; ++b)
                       for (int64_t x = 0; x < grid.h; ++x)
                         for (int64_t y = 0; y < grid.w; ++y) {
                           float* to = gd + ((b * h + rows[static_cast<size_t>(x)]) * w +
                                             cols[static_cast<size_t>(y)]) *
                                                c;
                           const float* from = gs + ((b * grid.h + x) * grid.w + y) * c;
                           for (int64_t j = 0; j < c; ++j) to[j] += from[j];
                         }
                     return autograd::TensorList{gx};
                   });
  return out;
}

class Recorder final : public nn::ForwardObserver {
 public:
  explicit Recorder(std::map<const nn::Module*, size_t> wanted)
      : wanted_(std::move(wanted)), outputs_(wanted_.size()) {}
  void after_forward(const nn::Module& module, const Tensor&, const Tensor& output) override {
    const auto it = wanted_.find(&module);
    if (it != wanted_.end()) outputs_[it->second] = output;
  }
  std::vector<Tensor>& outputs() { return outputs_; }

 private:
  std::map<const nn::Module*, size_t> wanted_;
  std::vector<Tensor> outputs_;
};

}  // namespace

Tensor hypercolumn(const std::vector<Tensor>& layers, Size2 grid) {
  CNN_CHECK(!layers.empty(), "hypercolumn: no layers given");
  CNN_CHECK(grid.h >= 1 && grid.w >= 1, "hypercolumn: grid must be positive, got ", grid);
  std::vector<Tensor> parts;
  for (size_t i = 0; i < layers.size(); ++i) {
    const Tensor& l = layers[i];
    CNN_CHECK(l.defined() && (l.dim() == 4 || l.dim() == 2), "hypercolumn: layer ", i,
              " must be a map [N, X, Y, J] or a vector [N, J], got shape ",
              l.defined() ? to_string(l.shape()) : "undefined");
    CNN_CHECK(l.size(0) == layers[0].size(0), "hypercolumn: layer ", i, " has batch ", l.size(0),
              " but layer 0 has ", layers[0].size(0));
    // A vector is a map with one cell, repeated over the grid.
    const Tensor map = l.dim() == 2 ? l.reshape({l.size(0), 1, 1, l.size(1)}) : l;
    parts.push_back(gather_grid(map, grid));
  }
  return concat(parts, -1);
}

std::vector<Tensor> collect_activations(nn::Module& model, const Tensor& x,
                                        const std::vector<std::string>& paths) {
  std::map<const nn::Module*, size_t> wanted;
  for (size_t i = 0; i < paths.size(); ++i) {
    nn::Module* m = &model;
    size_t start = 0;
    while (start <= paths[i].size()) {
      const size_t dot = paths[i].find('.', start);
      m = m->child(paths[i].substr(start, dot - start)).get();
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    wanted[m] = i;
  }
  Recorder recorder(wanted);
  {
    nn::ObserveForwards observe(recorder);
    model(x);
  }
  for (size_t i = 0; i < paths.size(); ++i)
    CNN_CHECK(recorder.outputs()[i].defined(), "collect_activations: module '", paths[i],
              "' was not called by the forward pass");
  return recorder.outputs();
}

Tensor sliding_window_scores(nn::Module& model, const Tensor& images, Size2 window, Size2 stride,
                             int64_t batch) {
  CNN_CHECK(images.dim() == 4, "sliding_window_scores: images must be [N, H, W, C], got ",
            to_string(images.shape()));
  CNN_CHECK(window.h >= 1 && window.w >= 1 && stride.h >= 1 && stride.w >= 1 && batch >= 1,
            "sliding_window_scores: window, stride and batch must be positive");
  const int64_t n = images.size(0), h = images.size(1), w = images.size(2);
  CNN_CHECK(window.h <= h && window.w <= w, "sliding_window_scores: window ", window,
            " is larger than the images ", to_string(images.shape()));
  const int64_t rows = (h - window.h) / stride.h + 1, cols = (w - window.w) / stride.w + 1;
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  std::vector<Tensor> crops, scores;
  auto flush = [&] {
    if (crops.empty()) return;
    scores.push_back(model(concat(crops, 0)));
    crops.clear();
  };
  for (int64_t b = 0; b < n; ++b)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        crops.push_back(images.slice(0, b, b + 1)
                            .slice(1, r * stride.h, r * stride.h + window.h)
                            .slice(2, c * stride.w, c * stride.w + window.w));
        if (static_cast<int64_t>(crops.size()) == batch) flush();
      }
  flush();
  model.train(was_training);
  const Tensor all = concat(scores, 0);
  CNN_CHECK(all.dim() == 2, "sliding_window_scores: the model returned shape ",
            to_string(all.shape()), ", expected [windows, classes]");
  return all.reshape({n, rows, cols, all.size(1)});
}

}  // namespace cnn::models
