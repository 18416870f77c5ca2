#!/usr/bin/env python3
"""PyTorch's side of `cnn bench` (tools/cnn/bench_command.cpp, src/bench/torch_reference.cpp).

Usage: torch_bench.py [--spec FILE]       (default: the spec on standard input)

The spec is JSON:
  {"threads": 2,
   "policies": {"gemm": P, "layers": P, "models": P},
   "gemm":   [{"m", "n", "k", "threads"}],
   "layers": [{"batch", "height", "width", "in_channels", "out_channels", "kernel", "stride",
               "padding", "groups"}],
   "models": [{"model", "mode": "train" | "inference", "batch", "height", "width", "channels",
               "classes"}]}
with P = {"warmup_reps", "warmup_seconds", "min_reps", "max_reps", "budget_seconds"}, the rule of
include/cnn/bench/timing.h: run until warmup_reps runs and warmup_seconds have passed, then time
single runs until min_reps are done and budget_seconds have passed (or max_reps are done).

The answer, on standard output, is JSON with one entry per case of each list:
  {"torch_version", "python", "threads",
   "gemm":   [F], "layers": [{"forward": F, "forward_backward": F}],
   "models": [F + {"parameters"}]}
with F = {"layout", "median_seconds", "min_seconds", "reps", "by_layout": {layout: median}}:
each case runs in NCHW and in channels_last (the GEMM in row-major only) and F describes the
faster, with both medians in by_layout.

The work is the same as ours: bias-free F.conv2d forward (no grad) and forward+backward to
input and weight; a training step is zero_grad, forward, cross_entropy, backward and an SGD step
(lr 0.01, momentum 0.9, Nesterov, weight decay 5e-4); inference is eval mode under no_grad.
If torch cannot be imported, prints {"error": ...} and exits with status 3.
"""
import argparse
import json
import os
import sys
import time

LAYOUTS = ("nchw", "channels_last")


def time_work(work, policy):
    """The repetition rule of include/cnn/bench/timing.h; returns (median, min, reps)."""
    if policy["min_reps"] < 1 or policy["max_reps"] < policy["min_reps"]:
        raise ValueError(f"the policy needs 1 <= min_reps <= max_reps, got {policy}")
    start = time.perf_counter()
    done = 0
    while done < policy["warmup_reps"] or time.perf_counter() - start < policy["warmup_seconds"]:
        work()
        done += 1
    samples = []
    start = time.perf_counter()
    while len(samples) < policy["min_reps"] or (
        len(samples) < policy["max_reps"] and time.perf_counter() - start < policy["budget_seconds"]
    ):
        t0 = time.perf_counter()
        work()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    n = len(samples)
    median = samples[n // 2] if n % 2 == 1 else 0.5 * (samples[n // 2 - 1] + samples[n // 2])
    return median, samples[0], n


def figure(by_layout):
    """by_layout: {layout: (median, min, reps)} -> F for the faster layout."""
    layout = min(by_layout, key=lambda name: by_layout[name][0])
    median, fastest, reps = by_layout[layout]
    return {
        "layout": layout,
        "median_seconds": median,
        "min_seconds": fastest,
        "reps": reps,
        "by_layout": {name: timing[0] for name, timing in by_layout.items()},
    }


def memory_format(torch, layout):
    return torch.channels_last if layout == "channels_last" else torch.contiguous_format


def bench_gemm(torch, case, policy, threads):
    a = torch.rand(case["m"], case["k"]) * 2 - 1
    b = torch.rand(case["k"], case["n"]) * 2 - 1
    c = torch.empty(case["m"], case["n"])
    torch.set_num_threads(case["threads"])
    try:
        timing = time_work(lambda: torch.mm(a, b, out=c), policy)
    finally:
        torch.set_num_threads(threads)
    return figure({"row-major": timing})


def bench_layer(torch, case, policy):
    import torch.nn.functional as F

    n, h, w = case["batch"], case["height"], case["width"]
    cin, cout, k = case["in_channels"], case["out_channels"], case["kernel"]
    stride, padding, groups = case["stride"], case["padding"], case["groups"]
    oh = (h + 2 * padding - k) // stride + 1
    ow = (w + 2 * padding - k) // stride + 1
    std = (2.0 / (k * k * cin // groups)) ** 0.5
    forward, forward_backward = {}, {}
    for layout in LAYOUTS:
        fmt = memory_format(torch, layout)
        x = torch.randn(n, cin, h, w).contiguous(memory_format=fmt)
        weight = (torch.randn(cout, cin // groups, k, k) * std).contiguous(memory_format=fmt)
        dy = torch.randn(n, cout, oh, ow).contiguous(memory_format=fmt)

        def run_forward():
            F.conv2d(x, weight, None, stride, padding, 1, groups)

        def run_forward_backward():
            F.conv2d(x, weight, None, stride, padding, 1, groups).backward(dy)
            x.grad = None  # as zero_grad(set_to_none=True): every run writes fresh gradients
            weight.grad = None

        with torch.no_grad():
            forward[layout] = time_work(run_forward, policy)
        x.requires_grad_()
        weight.requires_grad_()
        forward_backward[layout] = time_work(run_forward_backward, policy)
    return {"forward": figure(forward), "forward_backward": figure(forward_backward)}


def bench_model(torch, case, policy):
    import torch.nn.functional as F

    import torch_models

    timings = {}
    parameters = 0
    for layout in LAYOUTS:
        fmt = memory_format(torch, layout)
        torch.manual_seed(1)
        model = torch_models.create(case["model"], case["classes"], case["channels"])
        model = model.to(memory_format=fmt)
        parameters = sum(p.numel() for p in model.parameters())
        x = torch.randn(case["batch"], case["channels"], case["height"], case["width"])
        x = x.contiguous(memory_format=fmt)
        if case["mode"] == "inference":
            model.eval()
            with torch.no_grad():
                timings[layout] = time_work(lambda: model(x), policy)
        elif case["mode"] == "train":
            model.train()
            y = torch.arange(case["batch"]) % case["classes"]
            sgd = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True,
                                  weight_decay=5e-4)

            def step():
                sgd.zero_grad(set_to_none=True)
                F.cross_entropy(model(x), y).backward()
                sgd.step()

            timings[layout] = time_work(step, policy)
        else:
            raise ValueError(f"unknown mode {case['mode']!r}")
    result = figure(timings)
    result["parameters"] = parameters
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spec", help="the spec file (default: standard input)")
    args = parser.parse_args()
    if args.spec:
        with open(args.spec, encoding="utf-8") as f:
            spec = json.load(f)
    else:
        spec = json.load(sys.stdin)
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"error": f"PyTorch is not importable by {sys.executable}: {e}"}))
        return 3
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # torch_models.py

    threads = spec["threads"]
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    policies = spec["policies"]
    result = {
        "torch_version": torch.__version__,
        "python": sys.executable,
        "threads": torch.get_num_threads(),
        "gemm": [bench_gemm(torch, c, policies["gemm"], threads) for c in spec.get("gemm", [])],
        "layers": [bench_layer(torch, c, policies["layers"]) for c in spec.get("layers", [])],
        "models": [bench_model(torch, c, policies["models"]) for c in spec.get("models", [])],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
