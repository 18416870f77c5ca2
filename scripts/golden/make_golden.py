#!/usr/bin/env python3
"""Writes the golden data the C++ tests compare against: runs every scripts/golden/*.py
module that defines generate(out_dir). Needs Debian's python3-torch (/usr/bin/python3)."""
import argparse
import importlib
import os
import shutil
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True,
                        help="folder to write <family>/<case>.safetensors into")
    parser.add_argument("families", nargs="*", help="only these families (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    sys.path.insert(0, HERE)
    os.makedirs(args.out, exist_ok=True)
    errors = os.path.join(args.out, "errors.csv")
    if os.path.exists(errors):
        os.remove(errors)  # the C++ tests append the errors they measure
    names = sorted(f[:-3] for f in os.listdir(HERE)
                   if f.endswith(".py") and f not in ("common.py", "make_golden.py"))
    for name in names:
        if args.families and name not in args.families:
            continue
        module = importlib.import_module(name)
        if not hasattr(module, "generate"):
            continue
        start = time.time()
        shutil.rmtree(os.path.join(args.out, name), ignore_errors=True)
        module.generate(args.out)
        count = (len(os.listdir(os.path.join(args.out, name)))
                 if os.path.isdir(os.path.join(args.out, name)) else 0)
        print(f"golden {name}: {count} cases in {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
