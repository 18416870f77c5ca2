#!/usr/bin/env python3
"""Checks, with Debian's torch, the files tests/io/weights_test.cpp writes with cnn:

  weights.pth          cnn's save_weights of the net of make_pth_fixtures.py (PyTorch layout)
  weights.safetensors  the same, as safetensors
  io.pth               written by cnn's save_pth: input.x (NHWC) and output.y, cnn's output

torch.load must read weights.pth as an OrderedDict, load_state_dict(strict=True) must accept
it, both files must hold identical tensors, and torch's eval-mode output on input.x must match
cnn's. Exit status 0 when everything holds; a message and 1 otherwise.

Usage: check_weights_in_torch.py DIR
"""
import collections
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_pth_fixtures import net  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64}[info["dtype"]]
        out[name] = torch.from_numpy(
            np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"]).copy())
    return out


def main(folder):
    torch.set_num_threads(1)
    state = torch.load(os.path.join(folder, "weights.pth"))
    assert isinstance(state, collections.OrderedDict), type(state)
    other = read_safetensors(os.path.join(folder, "weights.safetensors"))
    assert sorted(state) == sorted(other), (sorted(state), sorted(other))
    for k in state:
        assert state[k].dtype == other[k].dtype and torch.equal(state[k], other[k]), k
    model = net()
    model.load_state_dict(state, strict=True)
    model.eval()
    io = torch.load(os.path.join(folder, "io.pth"))
    x = io["input.x"].permute(0, 3, 1, 2)
    with torch.no_grad():
        y = model(x)
    err = ((y - io["output.y"]).abs().max() / io["output.y"].abs().max()).item()
    print(f"torch vs cnn output: relative error {err:.3g}")
    if not err < 1e-5:
        sys.exit(f"torch's output differs from cnn's: relative error {err}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
