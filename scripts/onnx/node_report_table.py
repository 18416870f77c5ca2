#!/usr/bin/python3
"""The per-op table of docs/ONNX.md from the conformance test's report
(<build>/onnx/node_report.csv, written by tests/onnx/node_conformance_test.cpp):

  python3 scripts/onnx/node_report_table.py build/onnx/node_report.csv

A case counts for every op its graph uses. Columns: cases passed, cases excluded (with the
reason in tests/onnx/node_test_exclusions.txt), cases with an element type the engine does not
compute in, the largest absolute error, and the largest share of ONNX's tolerance
(1e-7 + 1e-3 |expected|) any element used.
"""
import collections
import csv
import sys

SUPPORTED_ONLY = True


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    stats = collections.defaultdict(lambda: {"pass": 0, "excluded": 0, "unsupported-type": 0,
                                             "fail": 0, "abs": 0.0, "tol": 0.0})
    for r in rows:
        if r["status"] == "unsupported-op":
            continue
        for op in r["ops"].split():
            s = stats[op]
            s[r["status"]] += 1
            if r["status"] == "pass":
                s["abs"] = max(s["abs"], float(r["max_abs_error"]))
                s["tol"] = max(s["tol"], float(r["tolerance_used"]))
    print("| op | passed | excluded | other element types | failed | largest abs. error | "
          "tolerance used |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for op in sorted(stats):
        s = stats[op]
        print(f"| {op} | {s['pass']} | {s['excluded']} | {s['unsupported-type']} | {s['fail']} | "
              f"{s['abs']:.2g} | {100 * s['tol']:.1f} % |")
    total = collections.Counter(r["status"] for r in rows)
    print(f"\n{total['pass']} cases passed, {total['fail']} failed, {total['excluded']} excluded, "
          f"{total['unsupported-type']} use element types other than float/int64/int32/bool, "
          f"{total['unsupported-op']} use ops outside the supported list.")


if __name__ == "__main__":
    main()
