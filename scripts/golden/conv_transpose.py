"""Golden cases for conv_transpose2d: stride 1, 2, 3 and rectangular, symmetric and asymmetric
padding, output_padding (below the stride, and below the dilation only), dilation, groups,
depthwise-like groups with a channel multiplier, 1x1 and 4x4 kernels, channel counts that
reach the fast kernels, odd sizes, batch 1 and 3, with and without bias.

The weight is PyTorch's ConvTranspose2d weight (C, O / groups, kH, kW) permuted (2, 3, 1, 0):
the same permutation as hwio(). PyTorch pads symmetrically only, so an asymmetric case runs
with no padding and crops (top, bottom, left, right) from the full output, which is what
padding means for a transposed convolution."""
import torch
import torch.nn.functional as F

from common import hwio, nhwc, run_case, seeded

FAMILY = "conv_transpose"

# name, x NCHW shape, weight shape (C, O / groups, kH, kW), stride, padding (top, bottom, left,
# right), output_padding, dilation, groups, bias
CASES = [
    ("basic_3x3", (2, 3, 5, 5), (3, 4, 3, 3), (1, 1), (0, 0, 0, 0), (0, 0), (1, 1), 1, True),
    ("stride2_pad1_outpad1", (1, 4, 5, 6), (4, 3, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1), 1,
     True),
    ("stride3_odd_no_bias", (3, 2, 4, 3), (2, 3, 4, 4), (3, 3), (1, 1, 2, 2), (2, 0), (1, 1), 1,
     False),
    ("stride_rect", (2, 3, 5, 4), (3, 2, 3, 2), (2, 1), (0, 0, 1, 1), (1, 0), (1, 1), 1, True),
    ("asym_pad", (2, 3, 4, 5), (3, 4, 3, 3), (1, 1), (0, 1, 2, 0), (0, 0), (1, 1), 1, True),
    ("asym_pad_stride2_outpad", (1, 4, 5, 5), (4, 3, 3, 3), (2, 2), (1, 0, 0, 2), (1, 1), (1, 1),
     1, True),
    ("dilation2", (2, 3, 5, 4), (3, 2, 3, 3), (1, 1), (1, 1, 1, 1), (0, 0), (2, 2), 1, True),
    ("dilation2_outpad_above_stride", (1, 2, 4, 4), (2, 3, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1),
     (2, 2), 1, False),
    ("dilation_stride_asym", (2, 3, 4, 5), (3, 2, 2, 3), (2, 3), (1, 2, 0, 1), (1, 2), (2, 1), 1,
     True),
    ("groups2", (2, 4, 5, 5), (4, 3, 3, 3), (1, 1), (1, 1, 1, 1), (0, 0), (1, 1), 2, True),
    ("groups2_stride2_no_bias", (1, 6, 4, 5), (6, 2, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1),
     2, False),
    ("groups3_asym", (2, 6, 4, 4), (6, 1, 2, 3), (2, 1), (0, 1, 1, 0), (0, 0), (1, 2), 3, True),
    ("depthwise", (2, 4, 5, 5), (4, 1, 3, 3), (1, 1), (1, 1, 1, 1), (0, 0), (1, 1), 4, True),
    ("depthwise_stride2_mult2", (1, 5, 4, 6), (5, 2, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1),
     5, True),
    ("pointwise_stride2", (2, 8, 4, 4), (8, 5, 1, 1), (2, 2), (0, 0, 0, 0), (1, 1), (1, 1), 1,
     True),
    ("kernel4_stride2_pad1", (2, 6, 5, 5), (6, 3, 4, 4), (2, 2), (1, 1, 1, 1), (0, 0), (1, 1), 1,
     True),
    ("wide_stride2", (2, 32, 6, 5), (32, 16, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (1, 1), 1,
     True),
    ("wide_stride1", (1, 16, 7, 6), (16, 32, 3, 3), (1, 1), (1, 1, 1, 1), (0, 0), (1, 1), 1, True),
    ("batch3_single_pixel", (3, 2, 1, 1), (2, 3, 3, 3), (2, 2), (0, 0, 0, 0), (1, 1), (1, 1), 1,
     True),
]


def conv_transpose_forward(stride, padding, output_padding, dilation, groups):
    top, bottom, left, right = padding

    def forward(x, w, b=None):
        if top == bottom and left == right:
            return F.conv_transpose2d(x, w, b, stride, (top, left), output_padding, groups,
                                      dilation)
        full = F.conv_transpose2d(x, w, b, stride, 0, output_padding, groups, dilation)
        return full[:, :, top:full.shape[2] - bottom, left:full.shape[3] - right]

    return forward


def generate(out):
    seeded(40)
    for name, xs, ws, stride, padding, output_padding, dilation, groups, bias in CASES:
        inputs = {"x": torch.randn(*xs, requires_grad=True),
                  "w": torch.randn(*ws, requires_grad=True)}
        if bias:
            inputs["b"] = torch.randn(ws[1] * groups, requires_grad=True)
        params = {"stride": list(stride), "padding": list(padding),
                  "output_padding": list(output_padding), "dilation": list(dilation),
                  "groups": groups}
        run_case(out, FAMILY, name, "conv_transpose2d", params, inputs,
                 conv_transpose_forward(stride, padding, output_padding, dilation, groups),
                 to_ours={"x": nhwc, "y": nhwc, "w": hwio})
