"""Golden cases for max_pool2d (with and without indices), avg_pool2d, adaptive_avg_pool2d,
global_avg_pool2d and global_max_pool2d.

PyTorch pads symmetrically only; our asymmetric Pad2d{top, bottom, left, right} is checked
against an explicit F.pad (with -inf for max pooling, so padding never wins; with zeros and a
count of input cells for average pooling without count_include_pad).
"""
import torch
import torch.nn.functional as F

from common import nhwc, run_case, seeded

FAMILY = "pool"
LAYOUT = {"x": nhwc, "y": nhwc}


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


def max_params(k, s, p, d, ceil):
    ph, pw = pair(p)
    return {"kernel": pair(k), "stride": pair(s), "padding": [ph, ph, pw, pw],
            "dilation": pair(d), "ceil_mode": ceil}


def avg_params(k, s, p, ceil, include):
    ph, pw = pair(p)
    return {"kernel": pair(k), "stride": pair(s), "padding": [ph, ph, pw, pw],
            "ceil_mode": ceil, "count_include_pad": include}


def x_of(*shape):
    return torch.randn(*shape, requires_grad=True)


def max_cases(out):
    # name, NCHW shape, kernel, stride (0: the kernel), padding, dilation, ceil_mode
    for name, shape, k, s, p, d, ceil in [
        ("max_k2", (2, 3, 8, 8), 2, 0, 0, 1, False),
        ("max_k3s2p1_odd_batch1", (1, 4, 7, 9), 3, 2, 1, 1, False),
        ("max_k2x3_s1x2_nonsquare", (2, 3, 6, 9), (2, 3), (1, 2), 0, 1, False),
        ("max_k3s2_ceil", (2, 3, 8, 7), 3, 2, 0, 1, True),
        ("max_k3s2p1_ceil", (1, 2, 6, 5), 3, 2, 1, 1, True),
        ("max_k2s2p1_ceil_last_window_dropped", (1, 2, 5, 5), 2, 2, 1, 1, True),
        ("max_dilation", (2, 3, 9, 7), (3, 2), (2, 1), (1, 0), (2, 3), False),
        ("max_dilation_ceil", (1, 2, 10, 8), 3, 2, 1, 2, True),
        ("max_kernel_overhangs_ceil", (1, 3, 2, 2), 3, 2, 0, 1, True),
    ]:
        stride = pair(k) if s == 0 else s
        run_case(out, FAMILY, name, "max_pool2d", max_params(k, s, p, d, ceil), {"x": x_of(*shape)},
                 lambda x, k=k, st=stride, p=p, d=d, c=ceil: F.max_pool2d(x, k, st, p, d, c),
                 LAYOUT)
    # Many equal values in overlapping windows: the gradient goes to the first maximum in
    # scan order, in PyTorch and in ours.
    ties = torch.randint(0, 3, (2, 2, 6, 7)).float().requires_grad_()
    run_case(out, FAMILY, "max_ties_overlapping", "max_pool2d", max_params(3, 1, 1, 1, False),
             {"x": ties}, lambda x: F.max_pool2d(x, 3, 1, 1), LAYOUT)
    # Asymmetric padding: top 1, bottom 0, left 0, right 1.
    params = max_params(3, 2, 0, 1, False)
    params["padding"] = [1, 0, 0, 1]
    run_case(out, FAMILY, "max_asymmetric_padding", "max_pool2d", params, {"x": x_of(2, 3, 7, 8)},
             lambda x: F.max_pool2d(F.pad(x, (0, 1, 1, 0), value=float("-inf")), 3, 2), LAYOUT)


def max_indices_cases(out):
    """max_pool2d(return_indices=True): the indices are flat within each (n, c) plane, the
    same numbers in NCHW and NHWC, so they only move with their output cell."""
    layout = {"x": nhwc, "y": nhwc, "indices": nhwc}
    for name, shape, k, s, p, d, ceil in [
        ("max_indices_k2", (2, 3, 8, 8), 2, 0, 0, 1, False),
        ("max_indices_k3s2p1_ceil", (1, 4, 7, 9), 3, 2, 1, 1, True),
        ("max_indices_dilation", (2, 3, 9, 7), (3, 2), (2, 1), (1, 0), (2, 3), False),
    ]:
        stride = pair(k) if s == 0 else s

        def forward(x, k=k, st=stride, p=p, d=d, c=ceil):
            y, indices = F.max_pool2d(x, k, st, p, d, c, return_indices=True)
            return {"y": y, "indices": indices}

        run_case(out, FAMILY, name, "max_pool2d_with_indices", max_params(k, s, p, d, ceil),
                 {"x": x_of(*shape)}, forward, layout)
    ties = torch.randint(0, 3, (2, 2, 6, 7)).float().requires_grad_()

    def forward(x):
        y, indices = F.max_pool2d(x, 3, 1, 1, return_indices=True)
        return {"y": y, "indices": indices}

    run_case(out, FAMILY, "max_indices_ties_overlapping", "max_pool2d_with_indices",
             max_params(3, 1, 1, 1, False), {"x": ties}, forward, layout)


def global_max_cases(out):
    """global_max_pool2d as adaptive_max_pool2d(x, 1); ties go to the first maximum."""
    for name, x in [
        ("global_max_7x3_batch2", x_of(2, 5, 7, 3)),
        ("global_max_ties", torch.randint(0, 3, (2, 3, 4, 5)).float().requires_grad_()),
        ("global_max_1x1", x_of(2, 3, 1, 1)),
    ]:
        run_case(out, FAMILY, name, "global_max_pool2d", {}, {"x": x},
                 lambda x: F.adaptive_max_pool2d(x, 1), LAYOUT)


def avg_cases(out):
    for name, shape, k, s, p, ceil in [
        ("avg_k2", (2, 3, 8, 8), 2, 0, 0, False),
        ("avg_k3s2p1_odd_batch1", (1, 4, 7, 9), 3, 2, 1, False),
        ("avg_k3s2p1_ceil", (2, 3, 6, 5), 3, 2, 1, True),
        ("avg_k2x3_s1x2_p1_ceil_nonsquare", (1, 2, 7, 8), (2, 3), (1, 2), 1, True),
        ("avg_k3s2_ceil", (2, 2, 8, 7), 3, 2, 0, True),
        ("avg_kernel_overhangs_ceil", (1, 2, 2, 2), 3, 2, 0, True),
    ]:
        stride = pair(k) if s == 0 else s
        for include in (True, False):
            case = f"{name}_{'include' if include else 'exclude'}_pad"
            run_case(out, FAMILY, case, "avg_pool2d", avg_params(k, s, p, ceil, include),
                     {"x": x_of(*shape)},
                     lambda x, k=k, st=stride, p=p, c=ceil, i=include: F.avg_pool2d(x, k, st, p, c, i),
                     LAYOUT)
    # Asymmetric padding top 1, bottom 0, left 0, right 1: padded cells count (zeros in the
    # average) or not (sum over the window / number of input cells in it).
    pad = (0, 1, 1, 0)
    for include in (True, False):
        params = avg_params(3, 2, 0, False, include)
        params["padding"] = [1, 0, 0, 1]

        def forward(x, include=include):
            if include:
                return F.avg_pool2d(F.pad(x, pad), 3, 2)
            window_sum = F.avg_pool2d(F.pad(x, pad), 3, 2, divisor_override=1)
            count = F.avg_pool2d(F.pad(torch.ones_like(x), pad), 3, 2, divisor_override=1)
            return window_sum / count

        run_case(out, FAMILY, f"avg_asymmetric_padding_{'include' if include else 'exclude'}_pad",
                 "avg_pool2d", params, {"x": x_of(2, 3, 7, 8)}, forward, LAYOUT)


def adaptive_cases(out):
    for name, shape, size in [
        ("adaptive_7x5_to_3x2_overlapping", (2, 3, 7, 5), (3, 2)),
        ("adaptive_8x8_to_2x4_batch1", (1, 4, 8, 8), (2, 4)),
        ("adaptive_3x2_to_5x4_larger", (1, 2, 3, 2), (5, 4)),
        ("adaptive_6x9_to_1x1", (2, 3, 6, 9), (1, 1)),
    ]:
        run_case(out, FAMILY, name, "adaptive_avg_pool2d", {"output_size": list(size)},
                 {"x": x_of(*shape)}, lambda x, s=size: F.adaptive_avg_pool2d(x, s), LAYOUT)
    run_case(out, FAMILY, "global_7x3_batch2", "global_avg_pool2d", {}, {"x": x_of(2, 5, 7, 3)},
             lambda x: F.adaptive_avg_pool2d(x, 1), LAYOUT)


def generate(out):
    seeded(20)
    max_cases(out)
    avg_cases(out)
    adaptive_cases(out)
    max_indices_cases(out)
    global_max_cases(out)
