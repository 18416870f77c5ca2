"""Golden cases for upsample_nearest2d and upsample_bilinear2d (F.interpolate with size=)."""
import torch
import torch.nn.functional as F

from common import nhwc, run_case, seeded

FAMILY = "upsample"
LAYOUT = {"x": nhwc, "y": nhwc}


def generate(out):
    seeded(30)
    r = lambda *s: torch.randn(*s, requires_grad=True)
    # name, NCHW input shape, output size
    sizes = [
        ("2x", (2, 3, 4, 5), (8, 10)),
        ("3x4_to_7x9_batch1", (1, 2, 3, 4), (7, 9)),
        ("6x5_to_13x11", (1, 3, 6, 5), (13, 11)),
        ("7x9_to_3x4_down", (2, 3, 7, 9), (3, 4)),
        ("1x3_to_4x5_one_row", (1, 2, 1, 3), (4, 5)),
        ("5x4_to_1x1", (1, 2, 5, 4), (1, 1)),
        ("5x5_same_size", (1, 2, 5, 5), (5, 5)),
    ]
    for name, shape, size in sizes:
        run_case(out, FAMILY, "nearest_" + name, "upsample_nearest2d", {"output_size": list(size)},
                 {"x": r(*shape)}, lambda x, s=size: F.interpolate(x, size=s, mode="nearest"),
                 LAYOUT)
        for ac in (False, True):
            run_case(out, FAMILY, f"bilinear_{name}_align_corners_{str(ac).lower()}",
                     "upsample_bilinear2d", {"output_size": list(size), "align_corners": ac},
                     {"x": r(*shape)},
                     lambda x, s=size, ac=ac: F.interpolate(x, size=s, mode="bilinear",
                                                            align_corners=ac),
                     LAYOUT)
    # 2 -> 82 rows: PyTorch's float32 index picks row 0 for output row 41 (exact: row 1).
    run_case(out, FAMILY, "nearest_2x3_to_82x5_float_rounding", "upsample_nearest2d",
             {"output_size": [82, 5]}, {"x": r(1, 2, 2, 3)},
             lambda x: F.interpolate(x, size=(82, 5), mode="nearest"), LAYOUT)
