#!/usr/bin/env python3
"""`cnn convert` against torchvision's MNASNet, whose loader reads the module version PyTorch
keeps in a state_dict's _metadata (and refuses a state_dict without one). Driven by
tests/io/weights_test.cpp:

  mnasnet_convert.py make FOLDER   writes mnasnet0_5's state_dict (seeded) as state.pth
                                   (torch.save, with _metadata) and state.safetensors (none)
  mnasnet_convert.py check FOLDER  loads FOLDER/with_versions*.pth into a fresh mnasnet0_5 with
                                   load_state_dict(strict=True) and compares every tensor with
                                   state.pth; FOLDER/without_versions.pth must be refused
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                                "golden"))
from common import write_safetensors  # noqa: E402


def make(folder):
    torch.manual_seed(3)
    state = torchvision.models.mnasnet0_5().state_dict()
    assert state._metadata[""]["version"] == 2
    torch.save(state, os.path.join(folder, "state.pth"))
    write_safetensors(os.path.join(folder, "state.safetensors"), dict(state), {})


def check(folder):
    expected = torch.load(os.path.join(folder, "state.pth"))
    names = sorted(n for n in os.listdir(folder) if n.startswith("with_versions"))
    assert names, "no converted file to check"
    for name in names:
        model = torchvision.models.mnasnet0_5()
        model.load_state_dict(torch.load(os.path.join(folder, name)), strict=True)
        for key, value in model.state_dict().items():
            assert torch.equal(value, expected[key]), f"{name}: {key} differs"
        print(f"{name}: loaded by mnasnet0_5 with strict=True, {len(expected)} tensors equal")
    try:
        torchvision.models.mnasnet0_5().load_state_dict(
            torch.load(os.path.join(folder, "without_versions.pth")), strict=True)
    except ValueError as e:  # what the test guards against: MNASNet's version check
        print(f"without_versions.pth: refused as expected ({e})")
    else:
        raise AssertionError("a .pth without _metadata was accepted: the check proves nothing")


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
