#!/usr/bin/python3
"""Exports torchvision models with random weights to ONNX, with PyTorch reference outputs.

Run with Debian's Python (python3-torch, python3-torchvision, python3-onnx), not a pyenv one:
  /usr/bin/python3 scripts/onnx/export_torchvision.py --out DIR --models resnet18,mobilenet_v2 \
      [--opsets 11,13,17] [--batches 1,3] [--size 224x224] [--seed 0]

For each model it writes
  DIR/<model>-opset<k>-static.onnx    batch fixed to the first of --batches
  DIR/<model>-opset<k>-dynamic.onnx   dynamic_axes {"input": {0: "batch"}, "output": {0: "batch"}}
  DIR/<model>.reference.safetensors   for each b in --batches: "input.b<b>" (NCHW float32,
                                      normal, torch.Generator seeded with seed + b) and
                                      "output.b<b>" (PyTorch's eval-mode output on it);
                                      metadata {"model", "size": "HxW", "seed", "batches",
                                      "bn_stats"}
The graph input is "input", the output "output" (extra outputs, if a model had any, would be
"output_1", ...). Weights are random: torch.manual_seed(seed), then every BatchNorm gets
running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5), weight ~ U(0.5, 1.5), bias ~ N(0, 0.1),
so that the exporter's folding of batch norm into the convolutions is not trivial.
With --bn-stats calibrated the running statistics are instead measured on one random batch:
with random ones, the output of mobilenet_v2, mnasnet, shufflenet_v2, googlenet, mobilenet_v3
and efficientnet does not depend on the input (two inputs differ by ~1e-7 of the output's
magnitude), which makes the reference useless for checking anything before the last layers.
Export is in eval mode with do_constant_folding=True.
"""
import argparse
import contextlib
import os
import sys
import tempfile
import time
import warnings

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from common import write_safetensors  # noqa: E402  (the project's safetensors writer)

# Constructor arguments beyond weights=None / num_classes.
EXTRA_KWARGS = {
    "googlenet": {"aux_logits": False, "init_weights": True},
    "inception_v3": {"aux_logits": False, "init_weights": True},
}


def build_model(name, num_classes, seed, bn_stats="random", size=(224, 224)):
    torch.manual_seed(seed)
    kwargs = {"weights": None, "num_classes": num_classes, **EXTRA_KWARGS.get(name, {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(torchvision.models, "get_model"):
            try:
                model = torchvision.models.get_model(name, **kwargs)
            except ValueError:  # not registered under that name: try the module attribute
                model = getattr(torchvision.models, name)(**kwargs)
        else:
            model = getattr(torchvision.models, name)(**kwargs)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    model.eval()
    with torch.no_grad():
        for m in norms:
            if m.running_mean is not None and bn_stats == "random":
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
            if m.weight is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
        if bn_stats == "calibrated" and norms:
            # Running statistics measured on one random batch (batch norm layers in training
            # mode, cumulative average; dropout stays off): every layer then sees roughly
            # normalized activations and the output keeps depending on the input.
            for m in norms:
                m.reset_running_stats()
                m.momentum = None
                m.train()
            gen = torch.Generator().manual_seed(seed + 1000)
            model(torch.randn(4, 3, *size, generator=gen))
            model.eval()
    return model


def flatten_outputs(result):
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, dict):
        result = list(result.values())
    if isinstance(result, (list, tuple)):
        return [t for r in result for t in flatten_outputs(r)]
    if hasattr(result, "_fields"):  # namedtuple (e.g. GoogLeNetOutputs)
        return flatten_outputs(tuple(result))
    raise TypeError(f"unexpected model output type {type(result).__name__}")


def output_names(count):
    return ["output"] + [f"output_{i}" for i in range(1, count)]


@contextlib.contextmanager
def quiet():
    """Silences Python warnings and anything written to fds 1 and 2 (torch's C++ side prints
    there); replays what was captured when the block raises."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as log, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace"))
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def export(model, example, path, opset, dynamic, names):
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {"input": {0: "batch"}, **{n: {0: "batch"} for n in names}}
    with quiet(), torch.no_grad():
        torch.onnx.export(model, (example,), path, input_names=["input"], output_names=names,
                          opset_version=opset, do_constant_folding=True,
                          dynamic_axes=dynamic_axes, verbose=False)


def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def parse_size(text):
    parts = text.lower().split("x")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"--size: expected HxW such as 224x224, got {text!r}")
    return int(parts[0]), int(parts[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--models", required=True, help="comma-separated torchvision names")
    parser.add_argument("--opsets", default="11,13,17", type=int_list)
    parser.add_argument("--batches", default="1,3", type=int_list,
                        help="reference batch sizes; the static export uses the first")
    parser.add_argument("--size", default="224x224", type=parse_size, help="HxW")
    parser.add_argument("--seed", default=0, type=int)
    parser.add_argument("--num-classes", default=1000, type=int)
    parser.add_argument("--bn-stats", default="random", choices=("random", "calibrated"),
                        help="BatchNorm running statistics: random (mean ~ N(0, 0.1), "
                             "var ~ U(0.5, 1.5)) or calibrated (measured on one random batch "
                             "of 4; needed by models whose random-init output otherwise does "
                             "not depend on the input: mobilenet, mnasnet, shufflenet, "
                             "googlenet, efficientnet)")
    args = parser.parse_args()
    if not args.batches or not args.opsets:
        parser.error("--batches and --opsets need at least one value")
    height, width = args.size
    os.makedirs(args.out, exist_ok=True)
    torch.set_grad_enabled(False)

    failed = []
    total = time.time()
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        start = time.time()
        try:
            model = build_model(name, args.num_classes, args.seed, args.bn_stats, args.size)
        except Exception as e:
            print(f"export_torchvision: {name}: cannot build: {type(e).__name__}: {e}",
                  file=sys.stderr)
            failed.append(name)
            continue
        tensors = {}
        names = None
        for b in args.batches:
            gen = torch.Generator().manual_seed(args.seed + b)
            x = torch.randn(b, 3, height, width, generator=gen, dtype=torch.float32)
            outputs = flatten_outputs(model(x))
            names = output_names(len(outputs))
            tensors[f"input.b{b}"] = x
            for n, y in zip(names, outputs):
                tensors[f"{n}.b{b}"] = y
        path = os.path.join(args.out, f"{name}.reference.safetensors")
        write_safetensors(path, tensors, {"model": name, "size": f"{height}x{width}",
                                          "seed": str(args.seed), "bn_stats": args.bn_stats,
                                          "batches": ",".join(map(str, args.batches))})
        print(f"{path}  {time.time() - start:.2f} s", flush=True)

        example = tensors[f"input.b{args.batches[0]}"]
        for opset in args.opsets:
            for variant in ("static", "dynamic"):
                path = os.path.join(args.out, f"{name}-opset{opset}-{variant}.onnx")
                start = time.time()
                try:
                    export(model, example, path, opset, variant == "dynamic", names)
                except Exception as e:
                    print(f"export_torchvision: {path}: {type(e).__name__}: {e}",
                          file=sys.stderr)
                    failed.append(f"{name}-opset{opset}-{variant}")
                    continue
                size = os.path.getsize(path) / 2**20
                print(f"{path}  {time.time() - start:.2f} s  {size:.1f} MiB", flush=True)
    print(f"export_torchvision: done in {time.time() - total:.1f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
