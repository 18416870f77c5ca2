#!/usr/bin/env python3
"""ONNX files for ONNX Runtime's side of `cnn bench` (src/bench/ort_reference.cpp).

Usage: export_onnx.py --out DIR [--opset 17] [--height 224 --width 224 --channels 3]
                      [--classes 1000] MODEL...

Each MODEL (resnet18, resnet50, mobilenet_v2: torchvision's builder of the architecture that
cnn's builder of the same name makes, bench/torch_models.py) is built with random weights
(torch.manual_seed(1), then torchvision's own initialization; batch norm keeps its fresh
running statistics, mean 0 and variance 1), put in eval mode and written by torch.onnx.export
to DIR/MODEL.onnx: opset --opset, graph input "input" [batch, channels, height, width] (NCHW)
and output "logits" [batch, classes], the batch a symbolic axis, constants folded (so batch
norm is folded into the convolutions, as an exporter does for inference).

The answer, on standard output, is JSON:
  {"torch_version", "opset", "models": [{"model", "file", "parameters"}]}
with the parameter count of the PyTorch model (to check against ours). If torch cannot be
imported, prints {"error": ...} and exits with status 3; other failures exit with status 1
(the message on standard error).
"""
import argparse
import json
import os
import sys
import warnings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="the folder for MODEL.onnx (must exist)")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--height", type=int, default=224)
    parser.add_argument("--width", type=int, default=224)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"error": f"PyTorch is not importable by {sys.executable}: {e}"}))
        return 3
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # torch_models.py
    import torch_models

    torch.set_num_threads(1)  # the export is not timed; leave the cores alone
    result = {"torch_version": torch.__version__, "opset": args.opset, "models": []}
    for name in args.models:
        torch.manual_seed(1)
        model = torch_models.create(name, args.classes, args.channels).eval()
        x = torch.randn(1, args.channels, args.height, args.width)
        file = os.path.join(args.out, name + ".onnx")
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, x, file, opset_version=args.opset, do_constant_folding=True,
                              input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        result["models"].append({"model": name, "file": file,
                                 "parameters": sum(p.numel() for p in model.parameters())})
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
