#!/usr/bin/env python3
"""Seeds that PyTorch writes, for the fuzz targets whose files come from PyTorch in practice:

  OUT/pth/*.pth            torch.save of small state_dicts (zip format, zip64 records; views,
                           shared and expanded storages, int64 buffers, _metadata)
  OUT/pth/legacy.pth       torch.save(..., _use_new_zipfile_serialization=False): the legacy
                           format the reader must recognize and refuse with advice
  OUT/unpickle/*.pkl       the data.pkl inside each zip .pth
  OUT/onnx/*.onnx          torch.onnx.export of tiny networks
  OUT/safetensors/*        safetensors headers written by hand the ways other writers do
                           (key order, padding, __metadata__)

fuzz_make_corpus (fuzz/make_corpus.cpp) writes the others. Usage: make_corpus.py OUT
"""
import collections
import io
import json
import os
import struct
import sys
import zipfile

import torch


def tiny_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
        torch.nn.Linear(4, 10))


def state_dicts():
    torch.manual_seed(1)
    base = torch.randn(4, 6)
    yield "module", tiny_net().state_dict()  # with _metadata, running stats, int64 counter
    yield "views", collections.OrderedDict(
        whole=base, transposed=base.t(), sliced=base[1:3, ::2], row=base[2])
    yield "expanded", collections.OrderedDict(
        bias=torch.randn(3).expand(5, 3), zero=torch.zeros(()).expand(2, 2))
    yield "dtypes", collections.OrderedDict(
        f32=torch.randn(2, 2), i64=torch.arange(5), scalar=torch.tensor(2.5),
        empty=torch.zeros(0, 3))
    yield "plain-dict", {"w": torch.ones(2, 3), "b": torch.zeros(3)}


def write_pth(out):
    os.makedirs(os.path.join(out, "pth"), exist_ok=True)
    os.makedirs(os.path.join(out, "unpickle"), exist_ok=True)
    for name, sd in state_dicts():
        path = os.path.join(out, "pth", name + ".pth")
        torch.save(sd, path)
        with zipfile.ZipFile(path) as z:
            pickle = next(n for n in z.namelist() if n.endswith("/data.pkl"))
            with open(os.path.join(out, "unpickle", name + ".pkl"), "wb") as f:
                f.write(z.read(pickle))
    legacy = os.path.join(out, "pth", "legacy.pth")
    torch.save(collections.OrderedDict(w=torch.ones(2)), legacy,
               _use_new_zipfile_serialization=False)


def write_onnx(out):
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    net = tiny_net().eval()
    x = torch.randn(1, 1, 8, 8)
    torch.onnx.export(net, x, os.path.join(out, "onnx", "torch-tiny.onnx"), opset_version=17,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    residual = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.Sigmoid(),
                                   torch.nn.AvgPool2d(2), torch.nn.Flatten()).eval()
    torch.onnx.export(residual, x, os.path.join(out, "onnx", "torch-avgpool-opset13.onnx"),
                      opset_version=13)


def safetensors(tensors, metadata=None, pad=b" ", sort=True):
    header, data = {}, b""
    names = sorted(tensors) if sort else list(tensors)
    for name in names:
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += pad * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write_safetensors(out):
    folder = os.path.join(out, "safetensors")
    os.makedirs(folder, exist_ok=True)
    f32 = ("F32", [2, 3], struct.pack("<6f", *range(6)))
    i64 = ("I64", [2], struct.pack("<2q", -1, 7))
    files = {
        "two.safetensors": safetensors({"a": f32, "b": i64}),
        "unsorted.safetensors": safetensors({"z": i64, "a": f32}, sort=False),
        "metadata.safetensors": safetensors({"a": f32}, {"format": "pt"}),
        "scalar.safetensors": safetensors({"s": ("F32", [], struct.pack("<f", 1.0))}),
        "zero-size.safetensors": safetensors({"e": ("F32", [0, 5], b"")}),
        "empty.safetensors": safetensors({}),
    }
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = sys.argv[1]
    write_pth(out)
    write_onnx(out)
    write_safetensors(out)


if __name__ == "__main__":
    main()
