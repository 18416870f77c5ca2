"""Shared helpers for the golden-data generators (run with Debian's python3-torch).

Each case is one safetensors file, <out>/<family>/<case>.safetensors, holding tensors named
  input.<name>        the op's inputs, in cnn's layout (NHWC activations, HWIO weights)
  output.<name>       PyTorch's outputs, in cnn's layout
  grad_output.<name>  the upstream gradient fed to backward for that output
  grad.<name>         PyTorch's gradient for that input
and metadata {"op": ..., "params": "<json>"} that tells the C++ test what to call.
"""
import json
import os
import struct
import zlib

import numpy as np
import torch

CASES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "cases")


def expand_grid(case):
    """A case with "grid": [[field, [values...]], ...] stands for every combination of the
    values, the first axis outermost; an object value sets each of its fields."""
    cases = [{k: v for k, v in case.items() if k != "grid"}]
    for field, values in case.get("grid", []):
        cases = [dict(c, **(v if isinstance(v, dict) else {field: v}))
                 for c in cases for v in values]
    return cases


def cases_for(family, use="golden"):
    """The cases of tests/cases/<family>.json whose "use" names `use`, in file order, grids
    expanded (the case lists the kernel tests and `cnn bench` read too; docs/ARCHITECTURE.md,
    "Case lists")."""
    with open(os.path.join(CASES_DIR, family + ".json")) as f:
        cases = [e for c in json.load(f)["cases"] if use in c["use"] for e in expand_grid(c)]
    if not cases:
        raise ValueError(f"tests/cases/{family}.json has no case for {use}")
    return cases


def nhwc(t):
    """NCHW -> NHWC (the lecture's L[b, x, y, i])."""
    return t.detach().permute(0, 2, 3, 1).contiguous()


def hwio(w):
    """OIHW -> HWIO (the lecture's W[dx, dy, i, j])."""
    return w.detach().permute(2, 3, 1, 0).contiguous()


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype == torch.int64:
            arr, dtype = t.numpy().astype("<i8"), "I64"
        else:
            arr, dtype = t.to(torch.float32).numpy().astype("<f4"), "F32"
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def save_case(out_dir, family, name, op, params, inputs, outputs, grad_outputs=None, grads=None):
    folder = os.path.join(out_dir, family)
    os.makedirs(folder, exist_ok=True)
    tensors = {}
    for prefix, group in (("input", inputs), ("output", outputs),
                          ("grad_output", grad_outputs or {}), ("grad", grads or {})):
        for key, value in group.items():
            if value is not None:
                tensors[f"{prefix}.{key}"] = value
    write_safetensors(os.path.join(folder, name + ".safetensors"), tensors,
                      {"op": op, "params": json.dumps(params)})


def run_case(out_dir, family, name, op, params, inputs, forward, to_ours=None):
    """Runs forward(**inputs) in PyTorch, back-propagates a seeded random upstream gradient,
    and saves everything. `inputs` are PyTorch tensors in PyTorch's layout; those with
    requires_grad get a gradient. `to_ours` maps an input or output name to the function that
    converts it to cnn's layout (default: unchanged).
    """
    to_ours = to_ours or {}
    conv = lambda key: to_ours.get(key, lambda t: t.detach())
    result = forward(**inputs)
    outputs = result if isinstance(result, dict) else {"y": result}
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    grad_outputs = {}
    differentiable = [t for t in inputs.values() if t.requires_grad]
    if differentiable:
        pairs = [(k, v) for k, v in outputs.items() if v.requires_grad]
        for k, v in pairs:
            grad_outputs[k] = torch.randn(v.shape, generator=gen)
        torch.autograd.backward([v for _, v in pairs], [grad_outputs[k] for k, _ in pairs])
    save_case(out_dir, family, name, op, params,
              {k: conv(k)(v) for k, v in inputs.items()},
              {k: conv(k)(v) for k, v in outputs.items()},
              {k: conv(k)(v) for k, v in grad_outputs.items()},
              {k: conv(k)(v.grad) for k, v in inputs.items() if v.requires_grad})


def seeded(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
