"""Golden cases for the activations and softmax / log_softmax along several dimensions.
Shapes are used as they are (no layout conversion): these ops do not care about NCHW."""
import torch
import torch.nn.functional as F

from common import run_case, seeded

FAMILY = "activation"


def generate(out):
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
