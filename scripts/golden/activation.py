"""Golden cases for the activations and softmax / log_softmax along several dimensions.
The cases are the golden ones of tests/cases/activation.json. Shapes are used as they are (no
layout conversion): these ops do not care about NCHW, except prelu, whose per-channel slope
PyTorch applies along dimension 1 (its x is listed NHWC and converted with nhwc())."""
import torch
import torch.nn.functional as F

from common import cases_for, nhwc, run_case, seeded

FAMILY = "activation"


BASIC_OPS = ("relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax")


def x_of(case):
    """The case's input: normal values times `scale` plus `shift`, or the `data` it names."""
    data = case.get("data")
    if data == "kinks":
        # The kinks at exactly 0 and 6 check the subgradient convention (relu' = relu6' = 0
        # there, leaky' = slope at 0).
        return torch.tensor([[-2.0, 0.0, 0.5], [3.0, 6.0, 7.5]]).requires_grad_()
    scale = case.get("scale", 1.0)
    if data == "with_kinks":
        # The kink values sit among 64 values so that PyTorch's vectorized kernel computes them
        # (its scalar tail differs for hardswish at 3); the rest are random.
        kinks = case["kinks"]
        v = torch.randn(64) * scale
        v[: len(kinks)] = torch.tensor(kinks)
        return v[torch.randperm(64)].reshape(*case["x"]).requires_grad_()
    shape = case["x"]
    if case["op"] == "prelu":  # listed NHWC
        n, h, w, c = shape
        shape = (n, c, h, w)
    x = torch.randn(*shape) * scale
    if "shift" in case:
        x = x + case["shift"]
    return x.requires_grad_()


def basic_cases(out, cases):
    """The relu family, sigmoid, tanh, softmax and log_softmax."""
    seeded(40)
    for case in cases:
        op, params = case["op"], case.get("params", {})
        fn = {
            "relu": F.relu, "relu6": F.relu6, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "leaky_relu": lambda x, p=params: F.leaky_relu(x, p["negative_slope"]),
            "softmax": lambda x, p=params: F.softmax(x, dim=p["dim"]),
            "log_softmax": lambda x, p=params: F.log_softmax(x, dim=p["dim"]),
        }[op]
        run_case(out, FAMILY, case["name"], op, params, {"x": x_of(case)}, lambda x, fn=fn: fn(x))


def clip_and_hard_cases(out, cases):
    """clamp (ONNX's Clip), hardsigmoid, hardswish and prelu."""
    seeded(41)
    for case in cases:
        name, op, params = case["name"], case["op"], case.get("params", {})
        x = x_of(case)
        if op == "clamp":  # infinite bounds are written as null: JSON has no infinity
            lo = float("-inf") if params["lo"] is None else params["lo"]
            hi = float("inf") if params["hi"] is None else params["hi"]
            run_case(out, FAMILY, name, op, params, {"x": x},
                     lambda x, lo=lo, hi=hi: torch.clamp(x, lo, hi))
        elif op == "hardsigmoid" and params == {"alpha": 1 / 6, "beta": 0.5}:
            run_case(out, FAMILY, name, op, params, {"x": x}, lambda x: F.hardsigmoid(x))
        elif op == "hardsigmoid":
            # Other slopes (ONNX's HardSigmoid defaults alpha 0.2, beta 0.5) as a clamp: random
            # values never land on the boundaries, where clamp's gradient (inclusive) and ours
            # (strict) differ.
            a, b = params["alpha"], params["beta"]
            run_case(out, FAMILY, name, op, params, {"x": x},
                     lambda x, a=a, b=b: torch.clamp(x * a + b, 0.0, 1.0))
        elif op == "hardswish":
            run_case(out, FAMILY, name, op, params, {"x": x}, lambda x: F.hardswish(x))
        elif op == "prelu":  # x NCHW in PyTorch, NHWC here; slope [C] or [1] in both
            slope = (torch.rand(case["slopes"]) * 0.5).requires_grad_()
            run_case(out, FAMILY, name, op, params, {"x": x, "slope": slope},
                     lambda x, slope: F.prelu(x, slope), {"x": nhwc, "y": nhwc})
        else:
            raise ValueError(f"{name}: unknown op {op}")


def generate(out):
    cases = cases_for("activation")
    basic_cases(out, [c for c in cases if c["op"] in BASIC_OPS])
    clip_and_hard_cases(out, [c for c in cases if c["op"] not in BASIC_OPS])
