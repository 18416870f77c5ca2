#!/usr/bin/env python3
"""Writes the .pth and .safetensors files tests/io/weights_test.cpp reads, with Debian's torch:

  model.pth            torch.save(net.state_dict()) of net() below: OrderedDict with _metadata,
                       int64 num_batches_tracked, OIHW conv weight, Linear after a flatten
  model.safetensors    the same state_dict (PyTorch layout), as safetensors
  model_deflate.pth    model.pth re-zipped with deflate (torch writes stored entries only)
  io.safetensors       input.x (NHWC) and output.y: net's eval-mode output for it
  views.pth            tensors saved through views: a transpose, a strided slice with an
                       offset, two rows sharing one storage, an int64 scalar, an empty tensor
  views.safetensors    the same tensors, dense (what load_pth must return)
  float64.pth          a float64 tensor (unsupported: the error must name the dtype)
  whole_model.pth      torch.save(net) - the pickle names torch.nn classes, to be refused

Usage: make_pth_fixtures.py OUT_DIR
"""
import os
import sys
import zipfile

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden"))
from common import nhwc, write_safetensors  # noqa: E402


def net():
    """Conv(3->4, 3x3, stride 2, pad 1) - BN - ReLU - Flatten - Linear(4*3*3 -> 5), on 6x6 input:
    the Linear sees a flattened 4x3x3 map, so its columns need permuting between layouts."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, stride=2, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(4 * 3 * 3, 5))


def main(out):
    torch.set_num_threads(1)
    torch.manual_seed(7)
    os.makedirs(out, exist_ok=True)
    model = net()
    with torch.no_grad():  # running statistics that differ from the defaults
        model[1].running_mean.copy_(torch.randn(4) * 0.2)
        model[1].running_var.copy_(torch.rand(4) + 0.5)
        model[1].weight.copy_(torch.rand(4) + 0.5)
        model[1].bias.copy_(torch.randn(4) * 0.1)
        model[1].num_batches_tracked.fill_(12345678901)  # needs more than 32 bits
    model.eval()
    state = model.state_dict()
    assert hasattr(state, "_metadata")
    torch.save(state, os.path.join(out, "model.pth"))
    write_safetensors(os.path.join(out, "model.safetensors"), dict(state), {})
    with zipfile.ZipFile(os.path.join(out, "model.pth")) as src, \
            zipfile.ZipFile(os.path.join(out, "model_deflate.pth"), "w",
                            zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    x = torch.randn(2, 3, 6, 6)
    with torch.no_grad():
        y = model(x)
    write_safetensors(os.path.join(out, "io.safetensors"), {"input.x": nhwc(x), "output.y": y}, {})

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    views = {
        "transposed": base.t(),               # strides (1, 6)
        "strided": base[1:3, 1::2],           # offset 7, strides (6, 2)
        "row0": base[0],                      # these two share base's storage
        "row2": base[2],
        "count": torch.tensor(-5, dtype=torch.int64),
        "empty": torch.zeros(0, 3),
    }
    assert views["row0"].storage().data_ptr() == views["row2"].storage().data_ptr()
    torch.save(views, os.path.join(out, "views.pth"))
    write_safetensors(os.path.join(out, "views.safetensors"), views, {})
    torch.save({"w": torch.ones(2, dtype=torch.float64)}, os.path.join(out, "float64.pth"))
    torch.save(model, os.path.join(out, "whole_model.pth"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
