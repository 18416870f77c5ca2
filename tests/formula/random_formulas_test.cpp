// Randomly generated formulas (strides, dilations, offsets, flips, padding, reductions and
// epilogues) against a plain loop written here for each family, and their gradients against
// finite differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "formula/formula_testing.h"

namespace cnn {
namespace {

using testing::expect_gradcheck;
using testing::Inputs;
using testing::randn;

// Values 0.1 apart in a shuffled order: a max or min over them keeps its winner under the
// finite differences' step.
Tensor spaced(const Shape& shape, uint64_t seed) {
  const int64_t n = checked_numel(shape);
  std::vector<float> values(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k)
    values[static_cast<size_t>(k)] = 0.1f * static_cast<float>(k - n / 2);
  std::mt19937_64 rng(seed);
  std::shuffle(values.begin(), values.end(), rng);
  return Tensor::from_data(shape, values);
}

double epilogue(int kind, double v) {
  switch (kind) {
    case 1:
      return std::max(v, 0.0);
    case 2:
      return std::tanh(v);
    case 3:
      return 1 / (1 + std::exp(-v));
    default:
      return v;
  }
}
const char* epilogue_name(int kind) {
  static const char* names[] = {"", "relu", "tanh", "sigmoid"};
  return names[kind];
}

// Y[b, x, j] = E(R(dx, i: W[dx, i, j] * L[b, s*x + d*dx + o, i]) + B[j]) with R a sum or mean
// (then with W) or a max or min (then of L alone), E an epilogue, and padding (given ranges,
// o < 0) or a valid window (o >= 0, ranges inferred).
struct Windowed {
  int64_t s, d, o, k, n, c, j, x_range;
  bool padded;
  int reduction;  // 0 sum, 1 mean, 2 max, 3 min
  int act;

  static Windowed random(std::mt19937_64& rng) {
    auto pick = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    Windowed w{};
    w.s = pick(1, 3);
    w.d = pick(1, 2);
    w.k = pick(1, 3);
    w.c = pick(1, 3);
    w.j = pick(1, 3);
    w.padded = pick(0, 1) == 1;
    w.o = w.padded ? -pick(0, 2) : pick(0, 1);
    w.n = w.d * (w.k - 1) + std::abs(w.o) + pick(1, 7);
    w.reduction = static_cast<int>(pick(0, 3));
    w.act = static_cast<int>(pick(0, 3));
    w.x_range =
        w.padded ? pick(1, (w.n + 2) / w.s + 1) : (w.n - 1 - (w.d * (w.k - 1) + w.o)) / w.s + 1;
    return w;
  }

  bool with_weight() const { return reduction < 2; }

  std::string text() const {
    static const char* reductions[] = {"sum", "mean", "max", "min"};
    std::ostringstream body;
    if (with_weight()) body << "W[dx, i, j] * ";
    body << "L[b, " << s << "*x + " << d << "*dx + " << o << ", i]";
    std::ostringstream out;
    out << "Y[b, x, j] = " << epilogue_name(act) << "(" << reductions[reduction]
        << "(dx, i: " << body.str() << ") + B[j])";
    std::string where = " where dx < " + std::to_string(k) + ", i < " + std::to_string(c);
    if (padded) where += ", x < " + std::to_string(x_range);
    return out.str() + where;
  }

  Inputs inputs(uint64_t seed) const {
    Inputs in = {{"L", with_weight() ? randn({2, n, c}, seed) : spaced({2, n, c}, seed)},
                 {"B", randn({j}, seed + 1, 0.1f)}};
    if (with_weight()) in["W"] = randn({k, c, j}, seed + 2, 0.3f);  // tanh and sigmoid stay
    // near their linear part, where finite differences of step 1e-2 are accurate
    return in;
  }

  std::vector<float> reference(const Inputs& in) const {
    const auto l = in.at("L").to_vector(), b = in.at("B").to_vector();
    const auto w = with_weight() ? in.at("W").to_vector() : std::vector<float>{};
    std::vector<float> y;
    for (int64_t bi = 0; bi < 2; ++bi) {
      for (int64_t x = 0; x < x_range; ++x) {
        for (int64_t jj = 0; jj < j; ++jj) {
          double acc = reduction == 2 ? -INFINITY : (reduction == 3 ? INFINITY : 0.0);
          for (int64_t dx = 0; dx < k; ++dx) {
            const int64_t p = s * x + d * dx + o;
            if (p < 0 || p >= n) continue;  // padding: absent
            for (int64_t i = 0; i < c; ++i) {
              const double lv = l[static_cast<size_t>((bi * n + p) * c + i)];
              const double v =
                  with_weight() ? w[static_cast<size_t>((dx * c + i) * j + jj)] * lv : lv;
              if (reduction < 2) acc += v;
              if (reduction == 2) acc = std::max(acc, v);
              if (reduction == 3) acc = std::min(acc, v);
            }
          }
          if (reduction == 1) acc /= static_cast<double>(k * c);
          y.push_back(static_cast<float>(epilogue(act, acc + b[static_cast<size_t>(jj)])));
        }
      }
    }
    return y;
  }
};

TEST(RandomFormulas, WindowedReductionsMatchAPlainLoopAndFiniteDifferences) {
  std::mt19937_64 rng(20261207);
  for (int trial = 0; trial < 60; ++trial) {
    const Windowed w = Windowed::random(rng);
    SCOPED_TRACE(w.text());
    const Formula f(w.text());
    const Inputs in = w.inputs(static_cast<uint64_t>(trial) * 10);
    const Tensor y = f(in);
    ASSERT_EQ(y.shape(), (Shape{2, w.x_range, w.j}));
    const auto want = w.reference(in);
    const auto got = y.to_vector();
    for (size_t k = 0; k < want.size(); ++k) {
      // An all-padding window of a max or min is -inf or +inf, in both.
      if (std::isinf(want[k])) {
        EXPECT_EQ(got[k], want[k]) << k;
      } else {
        EXPECT_NEAR(got[k], want[k], 1e-5 * (1 + std::abs(want[k]))) << k;
      }
    }
    bool finite = true;
    for (float v : want) finite = finite && std::isfinite(v);
    // relu's kink: finite differences across it are not the derivative on either side.
    // tanh and sigmoid of a max can sit where they bend most: a step of 3e-3 keeps the central
    // difference's truncation error (which grows as the step squared) under the tolerance.
    if (finite && w.act != 1) expect_gradcheck(f, in, {}, {.eps = 3e-3f});
  }
}

// Y[b, x] = L[b, a*x + c] * L[b, x] + K[n-1-x]: two reads of one tensor (two contributions to
// its gradient), negative coefficients (a flip), and an axis solved with a remainder guard.
TEST(RandomFormulas, SeveralReadsOfOneTensorAndFlips) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 30; ++trial) {
    const int64_t a = std::uniform_int_distribution<int64_t>(1, 3)(rng);
    const int64_t c = std::uniform_int_distribution<int64_t>(0, 3)(rng);
    const int64_t n = std::uniform_int_distribution<int64_t>(c + 1, c + 12)(rng);
    std::ostringstream text;
    text << "Y[b, x] = L[b, " << a << "*x + " << c << "] * L[b, x] + K[" << n - 1 << " - x]";
    SCOPED_TRACE(text.str());
    const Formula f(text.str());
    const Inputs in = {{"L", randn({2, n}, trial)}, {"K", randn({n}, trial + 100)}};
    const Tensor y = f(in);
    const int64_t xs = (n - 1 - c) / a + 1;  // the first read bounds x most
    ASSERT_EQ(y.shape(), (Shape{2, xs}));
    const auto l = in.at("L").to_vector(), k = in.at("K").to_vector();
    const auto got = y.to_vector();
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t x = 0; x < xs; ++x) {
        const double want = static_cast<double>(l[static_cast<size_t>(b * n + a * x + c)]) *
                                l[static_cast<size_t>(b * n + x)] +
                            k[static_cast<size_t>(n - 1 - x)];
        EXPECT_NEAR(got[static_cast<size_t>(b * xs + x)], want, 1e-5 * (1 + std::abs(want)));
      }
    }
    expect_gradcheck(f, in);
  }
}

}  // namespace
}  // namespace cnn

namespace cnn {
namespace {

// The contraction loop nest on shapes that cross its row blocks (12 or 6 rows) and its
// 16-wide column blocks: a locally connected layer and a batched matrix product, against plain
// loops.
TEST(RandomFormulas, ContractionsMatchAPlainLoop) {
  std::mt19937_64 rng(99);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 20; ++trial) {
    const int64_t b = pick(1, 27), s = pick(1, 2), d = pick(1, 2), k = pick(1, 3), c = pick(1, 5);
    const int64_t j = pick(1, 40), n = d * (k - 1) + pick(1, 6);
    const int64_t xs = (n - 1 - d * (k - 1)) / s + 1;
    std::ostringstream text;
    text << "Y[b, x, j] = W[x, dx, i, j] * L[b, " << s << "*x + " << d << "*dx, i]";
    SCOPED_TRACE(text.str());
    const Formula f(text.str());
    const Inputs in = {{"L", randn({b, n, c}, trial)}, {"W", randn({xs, k, c, j}, trial + 50)}};
    EXPECT_EQ(f.kernels({{"L", {b, n, c}}, {"W", {xs, k, c, j}}}).back(), "contraction loop nest");
    const auto l = in.at("L").to_vector(), w = in.at("W").to_vector();
    const auto got = f(in).to_vector();
    ASSERT_EQ(got.size(), static_cast<size_t>(b * xs * j));
    for (int64_t bi = 0; bi < b; ++bi) {
      for (int64_t x = 0; x < xs; ++x) {
        for (int64_t jj = 0; jj < j; ++jj) {
          double want = 0;
          for (int64_t dx = 0; dx < k; ++dx) {
            for (int64_t i = 0; i < c; ++i) {
              want += static_cast<double>(w[static_cast<size_t>(((x * k + dx) * c + i) * j + jj)]) *
                      l[static_cast<size_t>((bi * n + s * x + d * dx) * c + i)];
            }
          }
          EXPECT_NEAR(got[static_cast<size_t>((bi * xs + x) * j + jj)], want,
                      1e-4 * (1 + std::abs(want)));
        }
      }
    }
  }
  // A batched matrix product: the batch index is read by both, the rows by A only.
  const Formula mm("Y[g, m, n] = A[g, m, k] * B[g, k, n]");
  const Inputs in = {{"A", randn({3, 13, 7}, 1)}, {"B", randn({3, 7, 21}, 2)}};
  const auto a = in.at("A").to_vector(), bm = in.at("B").to_vector();
  const auto got = mm(in).to_vector();
  for (int64_t g = 0; g < 3; ++g) {
    for (int64_t m = 0; m < 13; ++m) {
      for (int64_t q = 0; q < 21; ++q) {
        double want = 0;
        for (int64_t p = 0; p < 7; ++p) {
          want += static_cast<double>(a[static_cast<size_t>((g * 13 + m) * 7 + p)]) *
                  bm[static_cast<size_t>((g * 7 + p) * 21 + q)];
        }
        EXPECT_NEAR(got[static_cast<size_t>((g * 13 + m) * 21 + q)], want,
                    1e-4 * (1 + std::abs(want)));
      }
    }
  }
  expect_gradcheck(mm, in);
}

// A locally connected layer with padding, Y[b,x,y,j] = W[x,y,dx,dy,i,j] L[b, x+d*dx-p, y+d*dy-p,
// i]: the forward runs on the contraction loop nest with per-position taps (reads outside L
// skipped), and so do both gradients: dW as a contraction over the batch, dL (its reads shift by
// the solved position, x = x' - d*dx + p) as dot products over j. Against plain loops, on shapes
// that cross the 16-wide vectors and the 4- and 8-wide column blocks.
TEST(RandomFormulas, PaddedLocallyConnectedLayerAndItsGradientsRunOnTheContractionLoopNest) {
  std::mt19937_64 rng(7);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 12; ++trial) {
    const int64_t b = pick(1, 3), h = pick(3, 7), k = pick(1, 3), d = pick(1, 2);
    const int64_t p = pick(0, d * (k - 1)), c = pick(1, 19), j = pick(1, 37);
    const int64_t xs = h + 2 * p - d * (k - 1);  // stride 1: the padded "same"-like range
    std::ostringstream text;
    text << "Y[b,x,y,j] = W[x,y,dx,dy,i,j] * L[b, x + " << d << "*dx - " << p << ", y + " << d
         << "*dy - " << p << ", i] where x < " << xs << ", y < " << xs;
    SCOPED_TRACE(text.str());
    const Formula f(text.str());
    const Shape ls{b, h, h, c}, ws{xs, xs, k, k, c, j};
    const std::map<std::string, Shape> shapes{{"L", ls}, {"W", ws}};
    EXPECT_EQ(f.kernels(shapes).back(), "contraction loop nest");
    for (const std::string& on : f.gradient_kernels(shapes)) EXPECT_EQ(on, "contraction loop nest");
    Inputs in = testing::fresh_leaves({{"L", randn(ls, trial)}, {"W", randn(ws, trial + 50)}});
    const Tensor y = f(in);
    const Tensor g = randn(y.shape(), trial + 99);
    sum(mul(y, g)).backward();
    const auto l = in.at("L").to_vector(), w = in.at("W").to_vector(), gv = g.to_vector();
    const auto got = y.to_vector(), dl = in.at("L").grad().to_vector(),
               dw = in.at("W").grad().to_vector();
    std::vector<double> want(got.size(), 0), want_dl(l.size(), 0), want_dw(w.size(), 0);
    const auto li = [&](int64_t bi, int64_t u, int64_t v, int64_t i) {
      return static_cast<size_t>(((bi * h + u) * h + v) * c + i);
    };
    for (int64_t bi = 0; bi < b; ++bi) {
      for (int64_t x = 0; x < xs; ++x) {
        for (int64_t y2 = 0; y2 < xs; ++y2) {
          for (int64_t dx = 0; dx < k; ++dx) {
            for (int64_t dy = 0; dy < k; ++dy) {
              const int64_t u = x + d * dx - p, v = y2 + d * dy - p;
              if (u < 0 || u >= h || v < 0 || v >= h) continue;
              for (int64_t i = 0; i < c; ++i) {
                for (int64_t jj = 0; jj < j; ++jj) {
                  const auto wi =
                      static_cast<size_t>(((((x * xs + y2) * k + dx) * k + dy) * c + i) * j + jj);
                  const auto yi = static_cast<size_t>(((bi * xs + x) * xs + y2) * j + jj);
                  want[yi] += static_cast<double>(w[wi]) * l[li(bi, u, v, i)];
                  want_dl[li(bi, u, v, i)] += static_cast<double>(gv[yi]) * w[wi];
                  want_dw[wi] += static_cast<double>(gv[yi]) * l[li(bi, u, v, i)];
                }
              }
            }
          }
        }
      }
    }
    const auto expect_near = [](const std::vector<float>& a, const std::vector<double>& e,
                                const char* what) {
      ASSERT_EQ(a.size(), e.size()) << what;
      for (size_t q = 0; q < a.size(); ++q) {
        ASSERT_NEAR(a[q], e[q], 1e-4 * (1 + std::abs(e[q]))) << what << " at " << q;
      }
    };
    expect_near(got, want, "Y");
    expect_near(dl, want_dl, "dL");
    expect_near(dw, want_dw, "dW");
  }
  // Finite differences through the same paths, on a small case.
  const Formula small("Y[b,x,y,j] = W[x,y,dx,dy,i,j] * L[b, x+dx-1, y+dy-1, i] where x < 4, y < 4");
  expect_gradcheck(small, {{"L", randn({2, 4, 4, 3}, 1)}, {"W", randn({4, 4, 3, 3, 3, 5}, 2)}});
}

// The contraction path tabulates its taps; a reduction past 4 million steps outside the vectors
// goes to the interpreter rather than to a table out of proportion to the tensors.
TEST(RandomFormulas, AContractionWithTooManyTapsIsInterpreted) {
  const Formula f("Y[j] = A[i, k] * B[k, i, j]");
  EXPECT_EQ(f.kernels({{"A", {1000, 1000}}, {"B", {1000, 1000, 2}}}).back(),
            "contraction loop nest");
  EXPECT_EQ(f.kernels({{"A", {2100, 2100}}, {"B", {2100, 2100, 2}}}).back(), "");
}

// A batched matrix product's gradient for A, dA[g,m,k] = dY[g,m,n] * B[g,k,n], is a dot product
// over n, which both read at stride 1: the contraction loop nest's dot shape.
TEST(RandomFormulas, BatchedMatrixProductGradientsRunOnTheContractionLoopNest) {
  const Formula mm("Y[g, m, n] = A[g, m, k] * B[g, k, n]");
  const std::map<std::string, Shape> shapes{{"A", {2, 9, 21}}, {"B", {2, 21, 35}}};
  for (const std::string& on : mm.gradient_kernels(shapes)) EXPECT_EQ(on, "contraction loop nest");
  expect_gradcheck(mm, {{"A", randn({2, 9, 21}, 3)}, {"B", randn({2, 21, 35}, 4)}});
}

}  // namespace
}  // namespace cnn
