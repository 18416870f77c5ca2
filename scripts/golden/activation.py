"""Golden cases for the activations and softmax / log_softmax along several dimensions.
Shapes are used as they are (no layout conversion): these ops do not care about NCHW, except
prelu, whose per-channel slope PyTorch applies along dimension 1 (converted with nhwc())."""
import torch
import torch.nn.functional as F

from common import nhwc, run_case, seeded

FAMILY = "activation"


def basic_cases(out):
    """The relu family, sigmoid, tanh, softmax and log_softmax."""
    seeded(40)
    r = lambda *s, scale=1.0, shift=0.0: (torch.randn(*s) * scale + shift).requires_grad_()
    # The kinks at exactly 0 and 6 check the subgradient convention (relu' = relu6' = 0 there,
    # leaky' = slope at 0).
    kinks = lambda: torch.tensor([[-2.0, 0.0, 0.5], [3.0, 6.0, 7.5]]).requires_grad_()
    for name, op, params, x in [
        ("relu_nhwc", "relu", {}, r(2, 3, 4, 5)),
        ("relu_kinks", "relu", {}, kinks()),
        ("relu6_wide", "relu6", {}, r(3, 5, 7, scale=4.0, shift=2.0)),
        ("relu6_kinks", "relu6", {}, kinks()),
        ("leaky_relu_default", "leaky_relu", {"negative_slope": 0.01}, r(1, 4, 3, 5)),
        ("leaky_relu_slope02", "leaky_relu", {"negative_slope": 0.2}, r(7, 3)),
        ("leaky_relu_kinks", "leaky_relu", {"negative_slope": 0.1}, kinks()),
        ("sigmoid", "sigmoid", {}, r(2, 5, 3, 3, scale=4.0)),
        ("sigmoid_saturated", "sigmoid", {}, r(9, scale=40.0)),
        ("tanh", "tanh", {}, r(2, 3, 5, 1, scale=2.0)),
        ("softmax_last", "softmax", {"dim": -1}, r(5, 7, scale=3.0)),
        ("softmax_dim0", "softmax", {"dim": 0}, r(4, 3, 5)),
        ("softmax_dim1_nhwc", "softmax", {"dim": 1}, r(2, 3, 4, 5)),
        # A large common offset (stability); the spread stays moderate because for saturated
        # rows (p = 1 - 1e-5) the float32 gradient y (dy - sum dy y) is all cancellation, in
        # PyTorch too (its error there is 1e-3 of the largest gradient, checked in float64).
        ("softmax_large_offset", "softmax", {"dim": -1}, r(3, 6, scale=4.0, shift=1000.0)),
        ("softmax_batch1", "softmax", {"dim": 1}, r(1, 10)),
        ("log_softmax_last", "log_softmax", {"dim": -1}, r(5, 7, scale=3.0)),
        ("log_softmax_dim2", "log_softmax", {"dim": 2}, r(2, 3, 4, 5)),
        ("log_softmax_dim0", "log_softmax", {"dim": 0}, r(6, 3)),
        ("log_softmax_large_spread", "log_softmax", {"dim": 1}, r(2, 5, scale=50.0, shift=-500.0)),
    ]:
        fn = {
            "relu": F.relu, "relu6": F.relu6, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "leaky_relu": lambda x, p=params: F.leaky_relu(x, p["negative_slope"]),
            "softmax": lambda x, p=params: F.softmax(x, dim=p["dim"]),
            "log_softmax": lambda x, p=params: F.log_softmax(x, dim=p["dim"]),
        }[op]
        run_case(out, FAMILY, name, op, params, {"x": x}, lambda x, fn=fn: fn(x))


def clip_and_hard_cases(out):
    """clamp (ONNX's Clip), hardsigmoid, hardswish and prelu."""
    seeded(41)
    r = lambda *s, scale=1.0: (torch.randn(*s) * scale).requires_grad_()

    # The kink values sit among 64 values so that PyTorch's vectorized kernel computes them
    # (its scalar tail differs for hardswish at 3); the rest are random.
    def with_kinks(kinks, scale):
        v = torch.randn(64) * scale
        v[: len(kinks)] = torch.tensor(kinks)
        return v[torch.randperm(64)].reshape(2, 4, 8).requires_grad_()

    # Infinite clamp bounds are written as null: JSON has no infinity.
    bound = lambda b: None if b in (float("inf"), float("-inf")) else b
    for name, lo, hi, x in [
        ("clamp_both", -1.0, 1.5, r(2, 3, 4, 5, scale=2.0)),
        ("clamp_at_bounds", -1.0, 1.0, with_kinks([-1.0, 1.0, -1.0, 1.0], 1.5)),
        ("clamp_relu6", 0.0, 6.0, r(3, 5, 7, scale=4.0)),
        ("clamp_no_lo", float("-inf"), 0.5, r(4, 6)),
        ("clamp_no_hi", -0.5, float("inf"), r(4, 6)),
        ("clamp_lo_above_hi", 1.0, -1.0, r(3, 4)),
    ]:
        run_case(out, FAMILY, name, "clamp", {"lo": bound(lo), "hi": bound(hi)}, {"x": x},
                 lambda x, lo=lo, hi=hi: torch.clamp(x, lo, hi))

    for name, x in [
        ("hardsigmoid", r(2, 5, 3, 3, scale=4.0)),
        ("hardsigmoid_kinks", with_kinks([-3.0, 3.0, 0.0, -3.0, 3.0], 3.0)),
    ]:
        run_case(out, FAMILY, name, "hardsigmoid", {"alpha": 1 / 6, "beta": 0.5}, {"x": x},
                 lambda x: F.hardsigmoid(x))
    # ONNX's HardSigmoid defaults (alpha 0.2, beta 0.5), as a clamp: random values never land
    # on the boundaries, where clamp's gradient (inclusive) and ours (strict) differ.
    run_case(out, FAMILY, "hardsigmoid_onnx_defaults", "hardsigmoid", {"alpha": 0.2, "beta": 0.5},
             {"x": r(3, 4, 5, scale=4.0)}, lambda x: torch.clamp(x * 0.2 + 0.5, 0.0, 1.0))

    for name, x in [
        ("hardswish", r(2, 5, 3, 3, scale=4.0)),
        ("hardswish_kinks", with_kinks([-3.0, 3.0, 0.0, -3.0, 3.0], 3.0)),
    ]:
        run_case(out, FAMILY, name, "hardswish", {}, {"x": x}, lambda x: F.hardswish(x))

    # prelu: x NCHW in PyTorch, NHWC here; slope [C] or [1] in both.
    for name, shape, slopes in [
        ("prelu_per_channel", (2, 3, 4, 5), 3),
        ("prelu_single", (2, 4, 3, 3), 1),
        ("prelu_batch1_wide", (1, 16, 5, 2), 16),
    ]:
        x = r(*shape, scale=2.0)
        slope = (torch.rand(slopes) * 0.5).requires_grad_()
        run_case(out, FAMILY, name, "prelu", {}, {"x": x, "slope": slope},
                 lambda x, slope: F.prelu(x, slope),
                 {"x": nhwc, "y": nhwc})


def generate(out):
    basic_cases(out)
    clip_and_hard_cases(out)
