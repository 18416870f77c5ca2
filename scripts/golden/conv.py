"""Golden cases for conv2d (every option: stride, symmetric and asymmetric padding, dilation,
groups, depthwise with channel multipliers, rectangular kernels, batch 1, non-square and odd
images, with and without bias) and linear (with and without bias, leading dimensions)."""
import torch
import torch.nn.functional as F

from common import cases_for, hwio, nhwc, run_case, seeded

FAMILY = "conv"

def conv_forward(stride, padding, dilation, groups):
    top, bottom, left, right = padding

    def forward(x, w, b=None):
        if top == bottom and left == right:
            return F.conv2d(x, w, b, stride, (top, left), dilation, groups)
        # PyTorch pads symmetrically only; pad explicitly (F.pad takes left, right, top, bottom).
        return F.conv2d(F.pad(x, (left, right, top, bottom)), w, b, stride, 0, dilation, groups)

    return forward


def generate(out):
    seeded(20)
    # tests/cases/conv2d.json states shapes in cnn's layout: x NHWC, w HWIO.
    for case in cases_for("conv2d"):
        n, h, w, c = case["x"]
        kh, kw, cg, o = case["w"]
        stride, dilation = case.get("stride", [1, 1]), case.get("dilation", [1, 1])
        padding, groups = case.get("padding", [0, 0, 0, 0]), case.get("groups", 1)
        inputs = {"x": torch.randn(n, c, h, w, requires_grad=True),
                  "w": torch.randn(o, cg, kh, kw, requires_grad=True)}
        if case["bias"]:
            inputs["b"] = torch.randn(o, requires_grad=True)
        params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        name = case["name"]
        run_case(out, FAMILY, name, "conv2d", params, inputs,
                 conv_forward(stride, padding, dilation, groups),
                 to_ours={"x": nhwc, "y": nhwc, "w": hwio})
    # linear: the golden cases of tests/cases/gemm.json
    for case in cases_for("gemm"):
        name, xs, out_features, bias = case["name"], case["x"], case["out_features"], case["bias"]
        inputs = {"x": torch.randn(*xs, requires_grad=True),
                  "w": torch.randn(out_features, xs[-1], requires_grad=True)}
        if bias:
            inputs["b"] = torch.randn(out_features, requires_grad=True)
        run_case(out, FAMILY, name, "linear", {}, inputs,
                 lambda x, w, b=None: F.linear(x, w, b))
