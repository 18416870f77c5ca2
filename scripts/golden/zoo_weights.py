"""Weights saved by torchvision, for every torchvision model of the zoo
(tests/models/torchvision_weights_test.cpp), and the check that PyTorch reads the weights cnn
writes back.

generate(out) writes into <out>/zoo_weights/, for each model of CASES:
  <model>.pth                torch.save(model.state_dict()) of a seeded random state, read by
                             cnn through io::load_weights, exactly as a user's file would be
  <model>.io.safetensors     "input" (NHWC), torchvision's eval-mode "output" on it, and
                             metadata {"model", "classes", "in_channels"}; for the deepest
                             models also the output computed in float64 ("output64") and
                             "torch_float32_error", the distance of "output" from it

The state: batch norm gets random affine parameters and running statistics measured on 4
other random images; biases are random; every weight of rank >= 2 (convolutions, linear layers)
is a strided view into a small random storage shared by the weights of the same fan-in:
    w[o, rest] = storage[offset + o * ROW_STEP + rest]   (rest: the row-major index of I, KH, KW)
with storage = uniform(-1, 1) * sqrt(6 / fan_in) (He's scale, so that VGG and AlexNet, which have
no batch norm, neither vanish nor explode). torch.save keeps such views as views (storage,
offset, size, stride), which keeps the files small: written densely, the weights of the 36
models would take about 6 GB, VGG-19's classifier alone 400 MB. cnn's reader must resolve the
strides and the shared storages, as it must for any state_dict PyTorch writes. Rows overlap
but are shifted by ROW_STEP (a prime), so a transposed or misplaced index changes the output.

check(folder, golden) (command line: zoo_weights.py --check FOLDER GOLDEN): every <model>.pth in
FOLDER, written by cnn's save_weights, must load into torchvision's model with
load_state_dict(strict=True), hold exactly the tensors of the golden <model>.pth, and give the
golden output on the golden input. Exit status 0 when all hold.
"""
import argparse
import copy
import math
import os
import sys

import numpy as np
import torch
import torchvision

from common import nhwc, write_safetensors

FAMILY = "zoo_weights"
ROW_STEP = 37

# model, classes, in_channels, input [N, C, H, W]: non-square inputs catch swapped H and W; the
# sides are small (the comparison is about weights and wiring, not about 224x224) but no smaller
# than each model accepts (AlexNet 63, Inception v3 75); VGG at 36x64 ends with a 1x2 map that
# its adaptive pooling spreads over 7x7.
CASES = [
    ("alexnet", 10, 3, (2, 3, 67, 80)),
    ("vgg11", 10, 3, (2, 3, 36, 64)),
    ("vgg11_bn", 10, 1, (2, 1, 36, 64)),
    ("vgg13", 10, 3, (2, 3, 36, 64)),
    ("vgg13_bn", 10, 3, (2, 3, 36, 64)),
    ("vgg16", 10, 3, (2, 3, 36, 64)),
    ("vgg16_bn", 10, 3, (2, 3, 36, 64)),
    ("vgg19", 10, 3, (2, 3, 36, 64)),
    ("vgg19_bn", 10, 3, (2, 3, 36, 64)),
    ("resnet18", 10, 3, (2, 3, 40, 32)),
    ("resnet34", 10, 3, (2, 3, 40, 32)),
    ("resnet50", 1000, 3, (2, 3, 40, 32)),
    ("resnet101", 10, 3, (2, 3, 40, 32)),
    ("resnet152", 10, 3, (2, 3, 40, 32)),
    ("resnext50_32x4d", 10, 3, (2, 3, 40, 32)),
    ("resnext101_32x8d", 10, 3, (2, 3, 40, 32)),
    ("resnext101_64x4d", 10, 3, (2, 3, 40, 32)),
    ("wide_resnet50_2", 10, 3, (2, 3, 40, 32)),
    ("wide_resnet101_2", 10, 3, (2, 3, 40, 32)),
    ("squeezenet1_0", 10, 3, (2, 3, 21, 40)),
    ("squeezenet1_1", 10, 1, (2, 1, 48, 56)),
    ("googlenet", 10, 3, (2, 3, 64, 48)),
    ("inception_v3", 10, 3, (2, 3, 75, 80)),
    ("densenet121", 10, 3, (2, 3, 48, 64)),
    ("densenet161", 10, 3, (2, 3, 48, 64)),
    ("densenet169", 10, 3, (2, 3, 48, 64)),
    ("densenet201", 10, 3, (2, 3, 48, 64)),
    ("shufflenet_v2_x0_5", 10, 3, (2, 3, 64, 48)),
    ("shufflenet_v2_x1_0", 10, 3, (2, 3, 64, 48)),
    ("shufflenet_v2_x1_5", 10, 3, (2, 3, 64, 48)),
    ("shufflenet_v2_x2_0", 10, 3, (2, 3, 64, 48)),
    ("mobilenet_v2", 10, 1, (2, 1, 64, 48)),
    ("mnasnet0_5", 10, 3, (2, 3, 48, 64)),
    ("mnasnet0_75", 10, 3, (2, 3, 48, 64)),
    ("mnasnet1_0", 10, 3, (2, 3, 48, 64)),
    ("mnasnet1_3", 10, 3, (2, 3, 48, 64)),
]

# Over a hundred layers with sums of up to 9216 products: float32 rounding reaches 1e-4 of the
# output (torchvision's own float32 result lies 1.3e-4 from its float64 result for
# wide_resnet101_2), so there both are compared with the float64 result too.
DEEPEST = {"resnet101", "resnet152", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet101_2"}

# what cnn registers under these names: torchvision's model without the auxiliary classifiers
# and without the input transform
KWARGS = {
    "googlenet": dict(aux_logits=False, transform_input=False, init_weights=False),
    "inception_v3": dict(aux_logits=False, transform_input=False, init_weights=False),
}


def build(name, classes, in_channels):
    from zoo_alexnet_vgg_resnet_squeezenet import first_conv, no_initialization
    with no_initialization():  # every tensor is overwritten: skip drawing the initial weights
        model = getattr(torchvision.models, name)(num_classes=classes, **KWARGS.get(name, {}))
        if in_channels != 3:  # cnn's in_channels replaces the first convolution's 3
            parent, attr, old = first_conv(model)
            setattr(parent, attr, torch.nn.Conv2d(in_channels, old.out_channels, old.kernel_size,
                                                  old.stride, old.padding,
                                                  bias=old.bias is not None))
    return model


def random_state(model, seed):
    """The state described in the module's docstring, as a state_dict of views."""
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    weights = {k: p for k, p in model.named_parameters() if p.dim() >= 2}
    by_fan_in = {}
    for key, p in weights.items():
        by_fan_in.setdefault(math.prod(p.shape[1:]), []).append(key)
    state = {}
    for fan_in, keys in by_fan_in.items():
        offsets, end = {}, 0
        for i, key in enumerate(keys):
            shape = weights[key].shape
            offsets[key] = (i * 101) % 499
            end = max(end, offsets[key] + (shape[0] - 1) * ROW_STEP + fan_in)
        bound = np.float32(math.sqrt(6.0 / fan_in))
        storage = torch.from_numpy(
            (rng.random(end, dtype=np.float32) * np.float32(2) - np.float32(1)) * bound)
        for key in keys:
            shape = weights[key].shape
            inner = [math.prod(shape[d + 1:]) for d in range(1, len(shape))]
            state[key] = storage.as_strided(shape, [ROW_STEP] + inner, offsets[key])
    with torch.no_grad():
        for key, p in model.named_parameters():
            if key in state:
                p.copy_(state[key])
            elif key.endswith("weight"):  # batch norm gamma
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
            else:  # biases, batch norm beta
                p.copy_((torch.rand(p.shape, generator=gen) - 0.5) * 0.4)
    return state


def calibrate(model, shape, seed):
    """Running statistics of 4 random images (plain average of the batch, momentum None)."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.saved_momentum, m.momentum = m.momentum, None
    model.train()
    with torch.no_grad():
        model(torch.randn((4,) + shape[1:], generator=torch.Generator().manual_seed(seed)) * 1.5
              + 0.2)
    for m in bns:
        m.momentum = m.saved_momentum
        del m.saved_momentum


def generate(out_dir):
    folder = os.path.join(out_dir, FAMILY)
    os.makedirs(folder, exist_ok=True)
    for seed, (name, classes, in_channels, shape) in enumerate(CASES, start=300):
        model = build(name, classes, in_channels)
        views = random_state(model, seed)
        calibrate(model, shape, seed)
        state = model.state_dict()
        state.update(views)  # the same values, saved as views of the shared storages
        torch.save(state, os.path.join(folder, name + ".pth"))
        x = torch.randn(shape, generator=torch.Generator().manual_seed(seed + 1))
        model.eval()
        with torch.no_grad():
            y = model(x)
        tensors = {"input": nhwc(x), "output": y}
        meta = {"model": name, "classes": str(classes), "in_channels": str(in_channels)}
        if name in DEEPEST:
            with torch.no_grad():
                y64 = copy.deepcopy(model).double()(x.double())
            tensors["output64"] = y64.float()
            meta["torch_float32_error"] = repr(
                ((y.double() - y64).abs().max() / y64.abs().max()).item())
        write_safetensors(os.path.join(folder, name + ".io.safetensors"), tensors, meta)


def read_io(golden, name):
    from check_weights_in_torch import read_safetensors
    return read_safetensors(os.path.join(golden, name + ".io.safetensors"))


def check(folder, golden):
    """See the module's docstring; returns the number of failures."""
    cases = {c[0]: c for c in CASES}
    files = sorted(f for f in os.listdir(folder) if f.endswith(".pth"))
    failures = 0 if files else 1
    for file in files:
        name = file[:-4]
        _, classes, in_channels, _ = cases[name]
        ours = torch.load(os.path.join(folder, file))
        theirs = torch.load(os.path.join(golden, file))
        model = build(name, classes, in_channels)
        model.load_state_dict(ours, strict=True)
        different = [k for k in theirs if not torch.equal(ours[k], theirs[k])]
        io = read_io(golden, name)
        model.eval()
        with torch.no_grad():
            y = model(io["input"].permute(0, 3, 1, 2))
        err = ((y - io["output"]).abs().max() / io["output"].abs().max()).item()
        print(f"{name}: torch reads cnn's .pth, {len(ours)} tensors, {len(different)} differ "
              f"from torchvision's; output relative error {err:.3g}")
        if different or not err <= 1e-5:  # same tensors; oneDNN may pick other kernels
            failures += 1
    return failures


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    parser = argparse.ArgumentParser(description="checks .pth files written by cnn")
    parser.add_argument("--check", nargs=2, metavar=("FOLDER", "GOLDEN"), required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sys.exit(1 if check(*args.check) else 0)
