"""Golden cases for max_pool2d (with and without indices), avg_pool2d, adaptive_avg_pool2d,
global_avg_pool2d and global_max_pool2d, on the golden cases of tests/cases/pool.json
(max_pool2d_with_indices: the indices are flat within each (n, c) plane, the same numbers in
NCHW and NHWC, so they only move with their output cell; ties go to the first maximum in scan
order, in PyTorch and in ours).

PyTorch pads symmetrically only; our asymmetric Pad2d{top, bottom, left, right} is checked
against an explicit F.pad (with -inf for max pooling, so padding never wins; with zeros and a
count of input cells for average pooling without count_include_pad).
"""
import torch
import torch.nn.functional as F

from common import cases_for, nhwc, run_case, seeded

FAMILY = "pool"
LAYOUT = {"x": nhwc, "y": nhwc}


def nchw(shape):
    """tests/cases/pool.json's NHWC shape -> PyTorch's NCHW."""
    n, h, w, c = shape
    return n, c, h, w


def x_of(case):
    shape = nchw(case["x"])
    if case.get("data") == "ties":  # many equal values in overlapping windows
        return torch.randint(0, 3, shape).float().requires_grad_()
    return torch.randn(*shape, requires_grad=True)


def params_of(case):
    """The options as the C++ test reads them (stride [0, 0]: the kernel)."""
    op = case["op"]
    if op in ("max_pool2d", "max_pool2d_with_indices"):
        return {"kernel": case["kernel"], "stride": case.get("stride", [0, 0]),
                "padding": case["padding"], "dilation": case.get("dilation", [1, 1]),
                "ceil_mode": case["ceil_mode"]}
    if op == "avg_pool2d":
        return {"kernel": case["kernel"], "stride": case.get("stride", [0, 0]),
                "padding": case["padding"], "ceil_mode": case["ceil_mode"],
                "count_include_pad": case["count_include_pad"]}
    if op == "adaptive_avg_pool2d":
        return {"output_size": case["output_size"]}
    return {}


def forward_of(case):
    op = case["op"]
    if op in ("global_avg_pool2d", "global_max_pool2d", "adaptive_avg_pool2d"):
        size = case.get("output_size", 1)
        pool = F.adaptive_max_pool2d if op == "global_max_pool2d" else F.adaptive_avg_pool2d
        return lambda x: pool(x, size)
    k = case["kernel"]
    stride = case.get("stride", k)
    top, bottom, left, right = case["padding"]
    symmetric = top == bottom and left == right
    pad = (left, right, top, bottom)  # F.pad's order
    ceil = case["ceil_mode"]
    if op.startswith("max_pool2d"):
        d = case.get("dilation", [1, 1])
        indices = op == "max_pool2d_with_indices"

        def forward(x):
            if symmetric:
                result = F.max_pool2d(x, k, stride, (top, left), d, ceil, return_indices=indices)
            else:  # -inf padding never wins the max
                result = F.max_pool2d(F.pad(x, pad, value=float("-inf")), k, stride, 0, d, ceil,
                                      return_indices=indices)
            return {"y": result[0], "indices": result[1]} if indices else result

        return forward
    include = case["count_include_pad"]

    def forward(x):
        if symmetric:
            return F.avg_pool2d(x, k, stride, (top, left), ceil, include)
        if include:
            return F.avg_pool2d(F.pad(x, pad), k, stride, 0, ceil)
        # padded cells do not count: the window's sum over the number of input cells in it
        window_sum = F.avg_pool2d(F.pad(x, pad), k, stride, 0, ceil, divisor_override=1)
        count = F.avg_pool2d(F.pad(torch.ones_like(x), pad), k, stride, 0, ceil, divisor_override=1)
        return window_sum / count

    return forward


def generate(out):
    seeded(20)
    for case in cases_for("pool"):
        layout = dict(LAYOUT, indices=nhwc) if case["op"] == "max_pool2d_with_indices" else LAYOUT
        run_case(out, FAMILY, case["name"], case["op"], params_of(case), {"x": x_of(case)},
                 forward_of(case), layout)
