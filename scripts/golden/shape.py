"""Golden cases for concat, split, channel_shuffle, pad2d (constant, reflect and edge, the
last two against F.pad's 'reflect' and 'replicate') and the option-A shortcut.

PyTorch works in NCHW, so its dimension 1 (channels) is our last dimension (NHWC): every
4-d input and output is converted with nhwc(), and the C++ side is told our dimension."""
import torch
import torch.nn.functional as F

from common import nhwc, run_case, seeded

FAMILY = "shape"

# NCHW dimension -> NHWC dimension.
OURS = {0: 0, 1: 3, 2: 1, 3: 2}


def channel_shuffle(x, groups):
    """torchvision.models.shufflenetv2.channel_shuffle, verbatim in substance."""
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


def shortcut_option_a(x, stride, out_channels):
    """The ResNet paper's option A, as CIFAR ResNet code writes it: subsample, then zero-pad
    the channel dimension at the end."""
    y = x[:, :, ::stride, ::stride]
    return F.pad(y, (0, 0, 0, 0, 0, out_channels - x.shape[1]))


def r(*shape, grad=True):
    return torch.randn(*shape, requires_grad=grad)


def generate(out):
    seeded(30)
    for name, dim, shapes, grads in [
        ("concat_channels", 1, [(2, 4, 5, 3), (2, 3, 5, 3)], [True, True]),
        ("concat_channels_three_batch1", 1, [(1, 2, 3, 5), (1, 5, 3, 5), (1, 1, 3, 5)],
         [True, False, True]),
        ("concat_rows", 2, [(2, 3, 4, 5), (2, 3, 1, 5)], [True, True]),
        ("concat_cols", 3, [(1, 2, 3, 2), (1, 2, 3, 5)], [True, True]),
        ("concat_batch", 0, [(1, 3, 5, 4), (2, 3, 5, 4)], [True, True]),
    ]:
        inputs = {f"x{i}": r(*s, grad=g) for i, (s, g) in enumerate(zip(shapes, grads))}
        run_case(out, FAMILY, name, "concat", {"dim": OURS[dim], "count": len(shapes)}, inputs,
                 lambda dim=dim, **xs: torch.cat([xs[k] for k in sorted(xs)], dim=dim),
                 to_ours={k: nhwc for k in list(inputs) + ["y"]})

    for name, dim, shape, sizes in [
        ("split_channels", 1, (2, 6, 3, 5), [1, 3, 2]),
        ("split_rows_odd", 2, (1, 2, 7, 4), [3, 4]),
        ("split_cols_batch", 3, (3, 2, 2, 5), [2, 2, 1]),
        ("split_batch", 0, (3, 4, 3, 2), [1, 2]),
        ("split_channels_empty_piece", 1, (2, 5, 3, 3), [2, 0, 3]),
    ]:
        names = [f"y{i}" for i in range(len(sizes))]
        run_case(out, FAMILY, name, "split", {"dim": OURS[dim], "sizes": sizes}, {"x": r(*shape)},
                 lambda x, dim=dim, sizes=sizes, names=names:
                     dict(zip(names, torch.split(x, sizes, dim=dim))),
                 to_ours={k: nhwc for k in ["x"] + names})

    for name, shape, groups in [
        ("shuffle_groups2", (2, 6, 4, 4), 2),
        ("shuffle_groups3_batch1_nonsquare", (1, 12, 5, 3), 3),
        ("shuffle_groups1", (2, 5, 3, 3), 1),
        ("shuffle_groups_equal_channels", (2, 4, 3, 5), 4),
    ]:
        run_case(out, FAMILY, name, "channel_shuffle", {"groups": groups}, {"x": r(*shape)},
                 lambda x, g=groups: channel_shuffle(x, g), to_ours={"x": nhwc, "y": nhwc})

    for name, shape, (top, bottom, left, right), value in [
        ("pad_all_sides", (2, 3, 4, 4), (1, 1, 1, 1), 0.0),
        ("pad_asymmetric_value", (1, 2, 5, 3), (0, 3, 1, 2), -1.5),
        ("pad_rows_only_odd", (2, 3, 3, 7), (2, 2, 0, 0), 0.25),
        ("pad_and_crop", (2, 2, 5, 6), (-1, 2, 1, -2), 3.0),
        ("crop_all_sides", (1, 3, 6, 5), (-2, -1, -1, -2), 0.0),
    ]:
        # F.pad lists the last dimension first: (left, right, top, bottom).
        run_case(out, FAMILY, name, "pad2d",
                 {"top": top, "bottom": bottom, "left": left, "right": right, "value": value},
                 {"x": r(*shape)},
                 lambda x, p=(left, right, top, bottom), v=value: F.pad(x, p, value=v),
                 to_ours={"x": nhwc, "y": nhwc})

    for name, shape, (top, bottom, left, right), mode in [
        ("pad_reflect_asymmetric", (2, 3, 5, 6), (1, 2, 3, 0), "reflect"),
        ("pad_reflect_extent_minus_one", (1, 2, 3, 4), (2, 2, 3, 3), "reflect"),
        ("pad_reflect_and_crop", (2, 2, 5, 6), (-1, 3, 2, -2), "reflect"),
        ("pad_edge_asymmetric", (2, 3, 4, 5), (0, 3, 2, 1), "edge"),
        ("pad_edge_beyond_extent", (1, 2, 2, 3), (4, 1, 0, 5), "edge"),
        ("pad_edge_and_crop", (2, 2, 5, 4), (2, -2, -1, 3), "edge"),
    ]:
        torch_mode = {"reflect": "reflect", "edge": "replicate"}[mode]
        run_case(out, FAMILY, name, "pad2d_mode",
                 {"top": top, "bottom": bottom, "left": left, "right": right, "mode": mode},
                 {"x": r(*shape)},
                 lambda x, p=(left, right, top, bottom), m=torch_mode: F.pad(x, p, mode=m),
                 to_ours={"x": nhwc, "y": nhwc})

    for name, shape, stride, out_channels in [
        ("shortcut_stride2_even", (2, 4, 6, 6), 2, 8),
        ("shortcut_stride2_odd_batch1", (1, 3, 7, 5), 2, 6),
        ("shortcut_stride3_nonsquare", (2, 3, 5, 4), 3, 5),
        ("shortcut_stride1_same_width", (2, 4, 3, 3), 1, 4),
    ]:
        run_case(out, FAMILY, name, "shortcut_identity",
                 {"stride": stride, "out_channels": out_channels}, {"x": r(*shape)},
                 lambda x, s=stride, c=out_channels: shortcut_option_a(x, s, c),
                 to_ours={"x": nhwc, "y": nhwc})
