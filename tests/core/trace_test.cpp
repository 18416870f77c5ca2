// The op tracer (cnn/trace.h): ops report themselves, with their tensors and attributes, only
// while a Tracer is installed on the thread; guards nest; an op built from others reports
// only those.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "cnn/ops/activation.h"
#include "cnn/ops/conv.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/linear.h"
#include "cnn/trace.h"
#include "support/tensor_testing.h"

namespace cnn {
namespace {

struct Recorder : trace::Tracer {
  std::vector<trace::OpCall> calls;
  void record(trace::OpCall call) override { calls.push_back(std::move(call)); }
  std::vector<std::string> ops() const {
    std::vector<std::string> names;
    for (const auto& c : calls) names.push_back(c.op);
    return names;
  }
};

TEST(Trace, OpsReportTheirTensorsAndAttributes) {
  const Tensor x = testing::randn({1, 5, 5, 2}, 1), w = testing::randn({3, 3, 2, 4}, 2);
  Recorder r;
  EXPECT_FALSE(trace::tracing());
  Tensor y;
  {
    trace::TraceOps guard(r);
    EXPECT_TRUE(trace::tracing());
    y = relu(conv2d(x, w, Tensor(), {.stride = 2, .padding = {1, 0, 2, 1}}));
  }
  EXPECT_FALSE(trace::tracing());
  ASSERT_EQ(r.ops(), (std::vector<std::string>{"conv2d", "relu"}));
  const trace::OpCall& conv = r.calls[0];
  ASSERT_EQ(conv.inputs.size(), 3u);
  EXPECT_TRUE(conv.inputs[0].is_same(x));
  EXPECT_TRUE(conv.inputs[1].is_same(w));
  EXPECT_FALSE(conv.inputs[2].defined());  // no bias
  EXPECT_EQ(conv.ints_attr("stride"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(conv.ints_attr("padding"), (std::vector<int64_t>{1, 0, 2, 1}));  // t, b, l, r
  EXPECT_EQ(conv.int_attr("groups"), 1);
  EXPECT_TRUE(r.calls[1].inputs[0].is_same(conv.outputs[0]));
  EXPECT_TRUE(r.calls[1].outputs[0].is_same(y));
  EXPECT_NE(testing::error_of([&] { conv.int_attr("stride"); }).find("is not an integer"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] { conv.float_attr("alpha"); }).find("no attribute 'alpha'"),
            std::string::npos);

  relu(x);  // not traced any more
  EXPECT_EQ(r.calls.size(), 2u);
}

TEST(Trace, CompositeOpsReportTheirParts) {
  const Tensor x = testing::randn({2, 3, 4}, 3), w = testing::randn({5, 4}, 4);
  Generator gen(1);
  Recorder r;
  {
    trace::TraceOps guard(r);
    neg(x);                        // affine(x, -1, 0)
    x.transpose(0, 1);             // a permute
    x.flatten(1);                  // a reshape
    linear(x, w);                  // reshape, linear of rank 2, reshape
    x.contiguous();                // already dense: itself, no report
    dropout(x, 0.5f, false, gen);  // evaluation: itself
  }
  EXPECT_EQ(r.ops(), (std::vector<std::string>{"affine", "permute", "reshape", "reshape", "linear",
                                               "reshape"}));
  EXPECT_EQ(r.calls[0].float_attr("scale"), -1.0);
}

TEST(Trace, GuardsNestAndStayOnTheirThread) {
  const Tensor x = testing::randn({4}, 5);
  Recorder outer, inner;
  {
    trace::TraceOps a(outer);
    relu(x);
    {
      trace::TraceOps b(inner);
      sigmoid(x);
      std::thread([&] {
        EXPECT_FALSE(trace::tracing());
        tanh(x);
      }).join();
    }
    exp(x);
  }
  EXPECT_EQ(outer.ops(), (std::vector<std::string>{"relu", "exp"}));
  EXPECT_EQ(inner.ops(), (std::vector<std::string>{"sigmoid"}));
}

// Ops a tracer runs while recording are not reported to it.
TEST(Trace, ATracerRunningOpsIsNotToldAboutThem) {
  struct Busy : trace::Tracer {
    int calls = 0;
    void record(trace::OpCall call) override {
      ++calls;
      relu(call.outputs[0]);
    }
  } busy;
  trace::TraceOps guard(busy);
  sigmoid(testing::randn({3}, 6));
  EXPECT_EQ(busy.calls, 1);
}

}  // namespace
}  // namespace cnn
