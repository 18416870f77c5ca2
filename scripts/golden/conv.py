"""Golden cases for conv2d (every option: stride, symmetric and asymmetric padding, dilation,
groups, depthwise with channel multipliers, rectangular kernels, batch 1, non-square and odd
images, with and without bias) and linear (with and without bias, leading dimensions)."""
import torch
import torch.nn.functional as F

from common import hwio, nhwc, run_case, seeded

FAMILY = "conv"

# name, x NCHW shape, weight OIHW shape, stride, padding (top, bottom, left, right), dilation,
# groups, bias
CONV_CASES = [
    ("basic_3x3", (2, 3, 7, 7), (4, 3, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1, True),
    ("pad1_no_bias", (2, 3, 6, 5), (5, 3, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, False),
    ("stride2_pad1", (1, 4, 9, 8), (6, 4, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1, True),
    ("stride_rect", (2, 3, 11, 7), (4, 3, 3, 3), (2, 1), (1, 1, 0, 0), (1, 1), 1, True),
    ("rect_kernel", (1, 2, 8, 9), (3, 2, 2, 5), (1, 2), (0, 0, 2, 2), (1, 1), 1, True),
    ("dilation2", (2, 3, 9, 10), (4, 3, 3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 1, True),
    ("dilation_rect", (1, 2, 10, 7), (3, 2, 3, 2), (2, 1), (1, 1, 1, 1), (1, 3), 1, False),
    ("asym_pad", (2, 3, 7, 6), (5, 3, 3, 3), (1, 1), (0, 1, 1, 0), (1, 1), 1, True),
    ("asym_pad_stride2", (1, 4, 8, 9), (3, 4, 3, 3), (2, 2), (1, 2, 0, 1), (1, 1), 1, True),
    ("groups2", (2, 4, 6, 7), (6, 2, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2, True),
    ("groups3_stride2", (1, 6, 9, 9), (9, 2, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 3, False),
    ("depthwise", (2, 5, 7, 8), (5, 1, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 5, True),
    ("depthwise_stride2", (1, 8, 9, 9), (8, 1, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 8, False),
    ("depthwise_mult2_dil", (2, 3, 8, 7), (6, 1, 3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 3, True),
    ("depthwise_5x5_asym", (1, 4, 9, 6), (4, 1, 5, 5), (2, 1), (2, 1, 1, 2), (1, 1), 4, True),
    ("pointwise", (2, 8, 5, 6), (12, 8, 1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1, True),
    ("pointwise_groups", (1, 8, 5, 7), (6, 8 // 2, 1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 2, False),
    ("pointwise_stride2", (2, 6, 7, 7), (10, 6, 1, 1), (2, 2), (0, 0, 0, 0), (1, 1), 1, True),
    ("stem_7x7", (1, 3, 23, 19), (16, 3, 7, 7), (2, 2), (3, 3, 3, 3), (1, 1), 1, False),
    ("wide_channels", (2, 40, 6, 5), (33, 40, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, True),
    ("kernel_fills_input", (2, 3, 4, 5), (2, 3, 4, 5), (1, 1), (0, 0, 0, 0), (1, 1), 1, True),
    ("single_channel_1x1_image", (3, 1, 1, 1), (4, 1, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, True),
]

# name, x shape, out_features, bias
LINEAR_CASES = [
    ("linear_basic", (4, 7), 5, True),
    ("linear_no_bias", (3, 20), 17, False),
    ("linear_batch1", (1, 64), 10, True),
    ("linear_rank3", (2, 3, 6), 4, True),
]


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
    for name, xs, ws, stride, padding, dilation, groups, bias in CONV_CASES:
        inputs = {"x": torch.randn(*xs, requires_grad=True), "w": torch.randn(*ws, requires_grad=True)}
        if bias:
            inputs["b"] = torch.randn(ws[0], requires_grad=True)
        params = {"stride": list(stride), "padding": list(padding), "dilation": list(dilation),
                  "groups": groups}
        run_case(out, FAMILY, name, "conv2d", params, inputs,
                 conv_forward(stride, padding, dilation, groups),
                 to_ours={"x": nhwc, "y": nhwc, "w": hwio})
    for name, xs, out_features, bias in LINEAR_CASES:
        inputs = {"x": torch.randn(*xs, requires_grad=True),
                  "w": torch.randn(out_features, xs[-1], requires_grad=True)}
        if bias:
            inputs["b"] = torch.randn(out_features, requires_grad=True)
        run_case(out, FAMILY, name, "linear", {}, inputs,
                 lambda x, w, b=None: F.linear(x, w, b))
