// Resize (opsets 10 to 13+) and Upsample (7 to 9), nearest, linear and cubic, as ONNX's
// reference defines them: separable, one axis at a time, each output coordinate mapped back to
// the input by the coordinate transformation mode, then
//   nearest  out[x] = in[round(x_orig)]                        (rounded by nearest_mode)
//   linear   out[x] = (1 - r) in[floor(x_orig)] + r in[floor(x_orig) + 1],  r = x_orig - floor
//   cubic    out[x] = sum_{k=-1..2} c_k(r) in[floor(x_orig) + k]           (Keys, coefficient a)
// with neighbours beyond the edge taking the edge value (or, with exclude_outside, dropped and
// the weights renormalized). Each tap is an index_select and a weighted sum, so gradients flow.
#include <cmath>
#include <limits>

#include "cnn/error.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/index.h"
#include "onnx/ops.h"

namespace cnn::onnx {
namespace {

struct AxisPlan {
  std::vector<std::vector<int64_t>> taps;   // [tap][x]: input index
  std::vector<std::vector<float>> weights;  // [tap][x]
  std::vector<float> outside;               // 1 where tf_crop_and_resize extrapolates
};

struct ResizeMode {
  std::string mode, coordinates, nearest;
  float cubic_a = -0.75f;
  bool exclude_outside = false;
  float extrapolation = 0.0f;
};

// `out` is the resized length as ONNX's reference takes it: the size when sizes are given,
// in * scale (not rounded) when scales are.
double source_coordinate(const ResizeMode& m, int64_t x, int64_t in, double out, double scale,
                         double roi_start, double roi_end) {
  const std::string& c = m.coordinates;
  if (c == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (c == "pytorch_half_pixel") return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (c == "align_corners") return out == 1 ? 0.0 : x * static_cast<double>(in - 1) / (out - 1);
  if (c == "asymmetric") return x / scale;
  if (c == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  if (c == "tf_crop_and_resize")
    return out > 1 ? roi_start * (in - 1) + x * (roi_end - roi_start) * (in - 1) / (out - 1)
                   : 0.5 * (roi_start + roi_end) * (in - 1);
  fail("onnx Resize: unknown coordinate_transformation_mode '", c, "'");
}

int64_t round_nearest(const std::string& mode, double v) {
  if (mode == "floor") return static_cast<int64_t>(std::floor(v));
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(v));
  const double f = std::floor(v);
  if (v - f == 0.5) return static_cast<int64_t>(mode == "round_prefer_ceil" ? f + 1 : f);
  CNN_CHECK(mode == "round_prefer_floor" || mode == "round_prefer_ceil",
            "onnx Resize: unknown nearest_mode '", mode, "'");
  return static_cast<int64_t>(std::round(v));
}

// Keys' cubic convolution weights for the taps at -1, 0, 1, 2 around a fraction r.
std::vector<double> cubic_weights(double r, double a) {
  const auto w = [a](double d) {
    d = std::abs(d);
    if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
    if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
    return 0.0;
  };
  return {w(r + 1), w(r), w(1 - r), w(2 - r)};
}

AxisPlan plan_axis(const ResizeMode& m, int64_t in, int64_t out, double length, double scale,
                   double roi_start, double roi_end) {
  AxisPlan p;
  const int taps = m.mode == "nearest" ? 1 : m.mode == "linear" ? 2 : 4;
  p.taps.assign(static_cast<size_t>(taps), std::vector<int64_t>(static_cast<size_t>(out)));
  p.weights.assign(static_cast<size_t>(taps), std::vector<float>(static_cast<size_t>(out)));
  p.outside.assign(static_cast<size_t>(out), 0.0f);
  const auto clamp_index = [in](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
  for (int64_t x = 0; x < out; ++x) {
    const auto xs = static_cast<size_t>(x);
    const double src = source_coordinate(m, x, in, length, scale, roi_start, roi_end);
    if (m.coordinates == "tf_crop_and_resize" && (src < 0 || src > in - 1)) {
      p.outside[xs] = 1.0f;
      for (int t = 0; t < taps; ++t) p.taps[static_cast<size_t>(t)][xs] = 0;
      continue;
    }
    if (m.mode == "nearest") {
      p.taps[0][xs] = clamp_index(round_nearest(m.nearest, src));
      p.weights[0][xs] = 1.0f;
      continue;
    }
    const double base = std::floor(src), r = src - base;
    std::vector<double> w =
        m.mode == "linear" ? std::vector<double>{1 - r, r} : cubic_weights(r, m.cubic_a);
    const int64_t first = static_cast<int64_t>(base) - (m.mode == "linear" ? 0 : 1);
    double total = 0;
    for (int t = 0; t < taps; ++t) {
      const int64_t i = first + t;
      if (m.exclude_outside && (i < 0 || i >= in)) w[static_cast<size_t>(t)] = 0;
      total += w[static_cast<size_t>(t)];
    }
    for (int t = 0; t < taps; ++t) {
      p.taps[static_cast<size_t>(t)][xs] = clamp_index(first + t);
      p.weights[static_cast<size_t>(t)][xs] =
          static_cast<float>(m.exclude_outside && total != 0 ? w[static_cast<size_t>(t)] / total
                                                             : w[static_cast<size_t>(t)]);
    }
  }
  return p;
}

// One axis of the stored tensor resized.
Tensor resize_axis(const Tensor& t, int64_t axis, const AxisPlan& p, float extrapolation) {
  const auto out = static_cast<int64_t>(p.outside.size());
  Shape wshape(static_cast<size_t>(t.dim()), 1);
  wshape[static_cast<size_t>(axis)] = out;
  Tensor y;
  for (size_t k = 0; k < p.taps.size(); ++k) {
    Tensor term = index_select(t, axis, p.taps[k]);
    bool ones = true;
    for (float w : p.weights[k]) ones = ones && w == 1.0f;
    if (!ones) term = mul(term, Tensor::from_data(wshape, p.weights[k]));
    y = y.defined() ? add(y, term) : term;
  }
  bool any_outside = false;
  for (float o : p.outside) any_outside = any_outside || o != 0.0f;
  if (any_outside) {  // extrapolated positions: the gathered values are dropped for the constant
    std::vector<float> keep(p.outside.size()), fill(p.outside.size());
    for (size_t i = 0; i < keep.size(); ++i) {
      keep[i] = 1.0f - p.outside[i];
      fill[i] = p.outside[i] * extrapolation;
    }
    y = add(mul(y, Tensor::from_data(wshape, keep)), Tensor::from_data(wshape, fill));
  }
  return y;
}

std::vector<Value> resize_with(const Node& n, const std::vector<Value>& in, const ResizeMode& m,
                               std::vector<float> scales, std::vector<int64_t> sizes,
                               std::vector<float> roi) {
  const Value& v = in[0];
  CNN_CHECK(v.data.dtype() == DType::f32, n.where(), ": only float tensors can be resized");
  CNN_CHECK(m.mode == "nearest" || m.mode == "linear" || m.mode == "cubic", n.where(),
            ": unknown mode '", m.mode, "'");
  const Shape shape = v.logical_shape();
  const auto rank = static_cast<int64_t>(shape.size());
  CNN_CHECK(!scales.empty() || !sizes.empty(), n.where(), ": neither scales nor sizes is given");
  const bool from_sizes = !sizes.empty();
  if (from_sizes) {
    CNN_CHECK(static_cast<int64_t>(sizes.size()) == rank, n.where(), ": ", sizes.size(),
              " sizes for rank ", rank);
    scales.clear();
    for (int64_t d = 0; d < rank; ++d)
      scales.push_back(static_cast<float>(sizes[static_cast<size_t>(d)]) /
                       static_cast<float>(shape[static_cast<size_t>(d)]));
  } else {
    CNN_CHECK(static_cast<int64_t>(scales.size()) == rank, n.where(), ": ", scales.size(),
              " scales for rank ", rank);
    for (int64_t d = 0; d < rank; ++d) {
      const double s = scales[static_cast<size_t>(d)];
      CNN_CHECK(std::isfinite(s) && s > 0, n.where(), ": scale ", s, " must be positive");
      const double o = std::floor(shape[static_cast<size_t>(d)] * s);
      CNN_CHECK(o >= 1 && o <= (int64_t{1} << 24), n.where(), ": scale ", s, " gives extent ", o,
                " for dimension ", d);
      sizes.push_back(static_cast<int64_t>(o));
    }
  }
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t o = sizes[static_cast<size_t>(d)];
    CNN_CHECK(o >= 1 && o <= (int64_t{1} << 24), n.where(), ": output extent ", o,
              " for dimension ", d);
  }
  if (roi.empty()) roi.assign(static_cast<size_t>(2 * rank), 0.0f);
  if (m.coordinates == "tf_crop_and_resize")
    CNN_CHECK(static_cast<int64_t>(roi.size()) == 2 * rank, n.where(), ": roi needs ", 2 * rank,
              " values");
  Tensor t = v.data;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t from = shape[static_cast<size_t>(d)], to = sizes[static_cast<size_t>(d)];
    const double scale = scales[static_cast<size_t>(d)];
    if (from == to && scale == 1.0 && m.coordinates != "tf_crop_and_resize") continue;
    const double length = from_sizes ? static_cast<double>(to) : from * scale;
    const AxisPlan p = plan_axis(
        m, from, to, length, scale,
        roi.size() > static_cast<size_t>(d) ? roi[static_cast<size_t>(d)] : 0.0,
        roi.size() > static_cast<size_t>(d + rank) ? roi[static_cast<size_t>(d + rank)] : 1.0);
    t = resize_axis(t, v.stored_axis(d), p, m.extrapolation);
  }
  return {value_of(t, v.perm)};
}

std::vector<float> float_values(const Node& n, const std::vector<Value>& in, size_t i) {
  if (!present(in, i)) return {};
  const Tensor t = logical(in[i]);
  CNN_CHECK(t.dtype() == DType::f32 && t.dim() == 1, n.where(), ": input ", i,
            " must be a 1-D float list");
  return t.to_vector();
}

std::vector<Value> resize(const Node& n, const std::vector<Value>& in, RunContext&) {
  ResizeMode m;
  m.mode = n.attrs.s("mode", "nearest");
  m.coordinates =
      n.attrs.s("coordinate_transformation_mode", n.opset >= 11 ? "half_pixel" : "asymmetric");
  m.nearest = n.attrs.s("nearest_mode", n.opset >= 11 ? "round_prefer_floor" : "floor");
  m.cubic_a = n.attrs.f("cubic_coeff_a", -0.75f);
  m.exclude_outside = n.attrs.i("exclude_outside", 0) != 0;
  m.extrapolation = n.attrs.f("extrapolation_value", 0.0f);
  if (n.opset < 11) return resize_with(n, in, m, float_values(n, in, 1), {}, {});
  std::vector<int64_t> sizes =
      present(in, 3) && in[3].data.numel() > 0 ? int_values(n, in, 3) : std::vector<int64_t>{};
  std::vector<float> scales = present(in, 2) ? float_values(n, in, 2) : std::vector<float>{};
  return resize_with(n, in, m, scales, sizes, float_values(n, in, 1));
}

std::vector<Value> upsample(const Node& n, const std::vector<Value>& in, RunContext&) {
  ResizeMode m;
  m.mode = n.attrs.s("mode", "nearest");
  m.coordinates = "asymmetric";
  m.nearest = "floor";
  const std::vector<float> scales =
      n.opset >= 9 ? float_values(n, in, 1) : n.attrs.floats("scales");
  return resize_with(n, in, m, scales, {}, {});
}

}  // namespace

void add_resize_ops(std::vector<OpDef>& t) {
  t.push_back({"Resize", resize, 0b1110, 0, 10});
  t.push_back({"Upsample", upsample, 0b10, 0, 7});
}

}  // namespace cnn::onnx
