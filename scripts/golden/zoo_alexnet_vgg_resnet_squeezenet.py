"""Golden data for the torchvision-named models AlexNet, VGG, ResNet (with ResNeXt and Wide
ResNet) and SqueezeNet, compared by tests/models/alexnet_vgg_resnet_squeezenet_test.cpp.

Writes into <out>/zoo_alexnet_vgg_resnet_squeezenet/:
  structure.json          for every model built with torchvision.models.<name>(num_classes=1000):
                          its parameter count and its state_dict keys with shapes in our
                          layout (conv weights OIHW -> HWIO), in PyTorch's order.
  basis.safetensors       "basis": BASIS_LENGTH uniform values in [-1, 1) that the weight
                          matrices of the forward cases are cut from (see synthetic_weight).
  <case>.safetensors      one forward comparison: "input.x" (NHWC), "output.y", the state that
                          is not synthetic as "state.<key>" (our layout), for a training case
                          also "grad_output.y", "grad.<name>" and the running statistics after
                          the step as "after.<key>"; metadata "params" (JSON):
                          model, classes, in_channels, mode, and "synthetic" {key: [offset,
                          bound]}.

The weight matrices of VGG and AlexNet hold 10^8 numbers; saving them would write gigabytes.
Instead every parameter of rank >= 2 is w[i] = basis[(offset + i) % BASIS_LENGTH] * bound over
its elements in PyTorch's row-major order (OIHW for convolutions), with bound = sqrt(6 / fan_in)
(He's scale, so activations neither vanish nor explode through ReLU layers). Both sides multiply
the same two float32 numbers, so the weights agree bit for bit. The C++ test builds the
tensor in PyTorch's layout and converts it itself. Since the basis length (a prime) exceeds every
row length, no row repeats within itself and a misplaced index changes the result.

Batch normalization gets random affine parameters, and running statistics taken (momentum 1)
from one training-mode forward pass on a separate random batch, so that evaluation mode
normalizes with statistics that differ from the test input's own.
"""
import contextlib
import json
import math
import os

import numpy as np
import torch
import torchvision

from common import hwio, nhwc, write_safetensors

FAMILY = "zoo_alexnet_vgg_resnet_squeezenet"
BASIS_LENGTH = 1_000_003  # a prime, longer than any weight row (25088 for VGG's first FC)

MODELS = [
    "alexnet",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
    "wide_resnet50_2", "wide_resnet101_2",
    "squeezenet1_0", "squeezenet1_1",
]

# name, model, mode, classes, in_channels, input [N, C, H, W] (a non-square input catches a
# swapped H and W). The eval-mode comparisons of every model read torchvision's saved weights
# (zoo_weights.py); this family keeps the training step.
CASES = [
    ("resnet18_train", "resnet18", "train", 10, 3, (2, 3, 48, 40)),
]


@contextlib.contextmanager
def no_initialization():
    """Builds models without drawing their random weights (structure and counts need none, and
    the forward cases overwrite every tensor), which makes building VGG-19 instant."""
    skip = lambda tensor, *args, **kwargs: tensor
    names = ["kaiming_normal_", "kaiming_uniform_", "normal_", "uniform_", "constant_",
             "trunc_normal_", "xavier_uniform_"]
    saved = {n: getattr(torch.nn.init, n) for n in names}
    saved_conv = torch.nn.modules.conv._ConvNd.reset_parameters
    saved_linear = torch.nn.Linear.reset_parameters
    try:
        for n in names:
            setattr(torch.nn.init, n, skip)
        torch.nn.modules.conv._ConvNd.reset_parameters = lambda self: None
        torch.nn.Linear.reset_parameters = lambda self: None
        yield
    finally:
        for n, f in saved.items():
            setattr(torch.nn.init, n, f)
        torch.nn.modules.conv._ConvNd.reset_parameters = saved_conv
        torch.nn.Linear.reset_parameters = saved_linear


def build(name, classes, in_channels=3):
    with no_initialization():
        model = getattr(torchvision.models, name)(num_classes=classes)
        if in_channels != 3:  # our in_channels replaces the 3 of the first convolution
            parent, attr, old = first_conv(model)
            new = torch.nn.Conv2d(in_channels, old.out_channels, old.kernel_size, old.stride,
                                  old.padding, bias=old.bias is not None)
            setattr(parent, attr, new)
    return model


def first_conv(model):
    for full_name, module in model.named_modules():
        if isinstance(module, torch.nn.Conv2d):
            parent_name, _, attr = full_name.rpartition(".")
            return model.get_submodule(parent_name), attr, module
    raise ValueError("no convolution")


def ours(key, tensor):
    """A state_dict entry in our layout: convolution weights OIHW -> HWIO."""
    return hwio(tensor) if tensor.dim() == 4 else tensor.detach()


def structure():
    out = {}
    for name in MODELS:
        model = build(name, 1000)
        state = [[k, list(ours(k, v).shape)] for k, v in model.state_dict().items()]
        out[name] = {"parameters": sum(p.numel() for p in model.parameters()), "state": state}
        del model
    return out


def synthetic_weight(basis, shape, offset, bound):
    n = math.prod(shape)
    window = np.resize(np.roll(basis, -offset), n)  # basis[(offset + i) % L] for i < n
    return torch.from_numpy(window * np.float32(bound)).reshape(shape)


def fill(model, basis, seed):
    """Synthetic weights, random small parameters; returns {key: [offset, bound]}."""
    gen = torch.Generator().manual_seed(seed)
    synthetic = {}
    with torch.no_grad():
        for i, (key, p) in enumerate(model.named_parameters()):
            if p.dim() >= 2:
                fan_in = math.prod(p.shape[1:])
                bound = float(np.float32(math.sqrt(6.0 / fan_in)))
                offset = (i * 7919 + seed) % BASIS_LENGTH
                p.copy_(synthetic_weight(basis, tuple(p.shape), offset, bound))
                synthetic[key] = [offset, bound]
            elif key.endswith("weight"):  # batch norm gamma
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
            else:  # biases, batch norm beta
                p.copy_((torch.rand(p.shape, generator=gen) - 0.5) * 0.4)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = 1.0  # the running statistics become the calibration batch's
    return synthetic


def run_case(basis, case, seed):
    name, arch, mode, classes, in_channels, shape = case
    torch.manual_seed(seed)
    model = build(arch, classes, in_channels)
    synthetic = fill(model, basis, seed)
    with torch.no_grad():
        model.train()
        model(torch.randn(shape) * 2.0 + 0.3)  # calibration batch for the running statistics
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = 0.1  # PyTorch's default again, as our BatchNorm2d has
    # the state the compared pass starts from: everything but the synthetic weights
    tensors = {"state." + k: ours(k, v).clone() for k, v in model.state_dict().items()
               if k not in synthetic}
    x = torch.randn(shape)
    if mode == "eval":
        model.eval()
        with torch.no_grad():
            y = model(x)
    else:
        model.train()
        x.requires_grad_(True)
        y = model(x)
        grad_output = torch.randn(y.shape)
        y.backward(grad_output)
        tensors["grad_output.y"] = grad_output
        tensors["grad.x"] = nhwc(x.grad)
        for key in ("conv1.weight", "layer4.1.bn2.weight", "fc.weight"):
            tensors["grad." + key] = ours(key, model.get_parameter(key).grad)
        # the running statistics after this training step, to compare too
        tensors["after.bn1.running_mean"] = model.bn1.running_mean.clone()
        tensors["after.bn1.running_var"] = model.bn1.running_var.clone()
    tensors["input.x"] = nhwc(x)
    tensors["output.y"] = y.detach()
    params = {"model": arch, "classes": classes, "in_channels": in_channels, "mode": mode,
              "synthetic": synthetic}
    return tensors, params


def generate(out_dir):
    folder = os.path.join(out_dir, FAMILY)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "structure.json"), "w") as f:
        json.dump(structure(), f)
    rng = np.random.default_rng(20240501)
    basis = (rng.random(BASIS_LENGTH, dtype=np.float32) * np.float32(2.0) - np.float32(1.0))
    write_safetensors(os.path.join(folder, "basis.safetensors"),
                      {"basis": torch.from_numpy(basis)}, {})
    for seed, case in enumerate(CASES, start=1):
        tensors, params = run_case(basis, case, seed)
        write_safetensors(os.path.join(folder, case[0] + ".safetensors"), tensors,
                          {"params": json.dumps(params)})
