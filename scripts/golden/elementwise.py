"""Golden cases for broadcast arithmetic, reductions (sum, mean, amax) and views."""
import torch

from common import run_case, seeded

FAMILY = "elementwise"


def generate(out):
    seeded(10)
    r = lambda *s: torch.randn(*s, requires_grad=True)
    for name, op, a, b in [
        ("add_channel_broadcast", "add", r(2, 3, 5, 4), r(4)),
        ("sub_same_shape", "sub", r(3, 7), r(3, 7)),
        ("mul_channel_broadcast", "mul", r(1, 4, 3, 6), r(1, 1, 1, 6)),
        ("mul_row_broadcast", "mul", r(2, 5, 1, 3), r(5, 4, 1)),
        ("div_positive", "div", r(4, 5), torch.rand(5).add(0.5).requires_grad_()),
    ]:
        fn = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}[op]
        run_case(out, FAMILY, name, op, {}, {"a": a, "b": b}, lambda a, b, fn=fn: fn(a, b))
    for name, op, dims, keep in [
        ("sum_all", "sum", [], False),
        ("sum_spatial_keepdim", "sum", [1, 2], True),
        ("mean_batch_spatial", "mean", [0, 1, 2], False),
        ("mean_last", "mean", [-1], False),
    ]:
        fn = torch.sum if op == "sum" else torch.mean
        forward = ((lambda x, fn=fn: fn(x)) if not dims
                   else (lambda x, fn=fn, d=dims, k=keep: fn(x, d, keepdim=k)))
        run_case(out, FAMILY, name, op, {"dims": dims, "keepdim": keep}, {"x": r(2, 3, 5, 4)},
                 forward)
    # amax (ONNX's ReduceMax): the gradient splits among tied maxima, which the small
    # integers of the last case make common.
    ties = lambda high: torch.randint(0, high, (2, 3, 5, 4)).float().requires_grad_()
    for name, dims, keep, x in [
        ("amax_all", [], False, r(2, 3, 5, 4)),
        ("amax_spatial_keepdim", [1, 2], True, r(2, 3, 5, 4)),
        ("amax_last", [-1], False, r(2, 3, 5, 4)),
        ("amax_ties_batch_spatial", [0, 1, 2], False, ties(3)),
        ("amax_ties_all_keepdim", [0, 1, 2, 3], True, ties(2)),
    ]:
        run_case(out, FAMILY, name, "amax", {"dims": dims, "keepdim": keep}, {"x": x},
                 lambda x, d=dims, k=keep: torch.amax(x, d, keepdim=k))
    # Views: flatten (the lecture's reshape of L[b, x, y, i] to L[b, i']), reshape, permute, slice.
    for name, op, params, forward in [
        ("flatten_nhwc", "flatten", {"start": 1}, lambda x: torch.flatten(x, 1)),
        ("reshape_infer", "reshape", {"shape": [5, -1]}, lambda x: x.reshape(5, -1)),
        ("permute_nhwc_to_nchw", "permute", {"dims": [0, 3, 1, 2]},
         lambda x: x.permute(0, 3, 1, 2)),
        ("slice_rows_step2", "slice", {"dim": 1, "start": 1, "end": 3, "step": 2},
         lambda x: x[:, 1:3:2]),
    ]:
        run_case(out, FAMILY, name, op, params, {"x": r(2, 3, 5, 4)}, forward)
