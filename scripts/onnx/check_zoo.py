#!/usr/bin/python3
"""Every torchvision model of cnn's zoo, exported by torch 1.13 at opsets 11, 13 and 17 with a
static and a dynamic batch, imported by cnn and compared with PyTorch at batch 1 and 3
(tests/onnx/torchvision_import_test.cpp, OnnxTorchvision.ExportsMatchPyTorch, pointed at each
model's exports through CNN_ONNX_ZOO). One model at a time, its files deleted afterwards.

  /usr/bin/python3 scripts/onnx/check_zoo.py [--build build] [--models a,b] [--size 224x224]

Prints one line per model, opset, variant and batch with the relative error, and a summary.
The test suite runs a smaller set at small sizes (make_test_data.py); this is the whole zoo.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# cnn's zoo names that torchvision 0.14 builds (cnn summary --list has the small-image ones too)
ZOO = ["alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
       "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
       "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2",
       "squeezenet1_0", "squeezenet1_1", "densenet121", "densenet161", "densenet169", "densenet201",
       "googlenet", "inception_v3", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
       "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "mobilenet_v2", "mnasnet0_5", "mnasnet0_75",
       "mnasnet1_0", "mnasnet1_3"]
# non-square where the model accepts it; AlexNet and VGG's adaptive pooling exports only at 224
SIZES = {"alexnet": "224x224", "inception_v3": "299x299"}
SIZES.update({m: "224x224" for m in ZOO if m.startswith("vgg")})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--models", default=",".join(ZOO))
    parser.add_argument("--size", default="192x224", help="HxW for models that take any size")
    args = parser.parse_args()
    test = os.path.join(args.build, "tests", "test_onnx")
    failed = []
    for model in args.models.split(","):
        folder = tempfile.mkdtemp(prefix="cnn_zoo_")
        try:
            start = time.time()
            subprocess.run([sys.executable, os.path.join(HERE, "export_torchvision.py"),
                            "--out", folder,
                            "--models", model, "--opsets", "11,13,17", "--batches", "1,3",
                            "--size", SIZES.get(model, args.size), "--bn-stats", "calibrated"],
                           check=True, stdout=subprocess.DEVNULL)
            exported = time.time() - start
            r = subprocess.run([test, "--gtest_filter=OnnxTorchvision.ExportsMatchPyTorch"],
                               env=dict(os.environ, CNN_ONNX_ZOO=folder), capture_output=True,
                               text=True)
            for line in r.stdout.splitlines():
                if line.startswith("zoo-check"):
                    print(line[len("zoo-check "):], flush=True)
            status = "ok" if r.returncode == 0 else "FAILED"
            if r.returncode != 0:
                failed.append(model)
                print(r.stdout[-3000:])
            print(f"{model}: {status} (export {exported:.0f}s, "
                  f"check {time.time() - start - exported:.0f}s)",
                  flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(args.models.split(',')) - len(failed)} models passed, {len(failed)} failed"
          + (": " + ", ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
