/// \file
/// `cnn bench --formulas`: layers written as formulas (cnn/formula.h) beside the built-in op
/// that computes the same thing, forward and forward + backward, measured in the same run, and
/// the general loop nest on a layer no kernel covers (a locally connected layer) as a share of
/// the FMA peak measured in the same run (docs/PERFORMANCE.md, "Formulas").
#pragma once

#include <string>
#include <vector>

#include "cnn/bench/measure.h"
#include "cnn/bench/timing.h"

namespace cnn::bench {

struct FormulaRow {
  std::string name;
  std::string formula;
  std::string runs_on;  ///< the kernel it lowered to, or the loop nest
  double flops = 0;     ///< forward
  Timing forward, forward_backward;
  bool has_builtin = false;  ///< the same layer by the built-in op, measured beside it
  Timing builtin_forward, builtin_forward_backward;
};

struct FormulaReport {
  FmaPeak peak;
  int threads = 1;
  std::vector<FormulaRow> rows;
};

/// quick: small shapes, one timed run each (a smoke test, not a measurement).
FormulaReport run_formula_benchmarks(int threads, bool quick);
std::string format_formula_report(const FormulaReport& report);
std::string format_formula_report_json(const FormulaReport& report);

}  // namespace cnn::bench
