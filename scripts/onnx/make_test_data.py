#!/usr/bin/python3
"""Writes the ONNX test data the C++ tests read (tests/onnx), with Debian's python3-onnx and
python3-torch (/usr/bin/python3):
  OUT/node/    ONNX's own backend node tests for the supported ops (make_node_tests.py)
  OUT/zoo/     torchvision models exported by torch.onnx at opsets 11, 13 and 17, with a static
               and a dynamic batch, and PyTorch's outputs at batch 1 and 3 (export_torchvision.py)
  OUT/external/resnet18.onnx (+ resnet18.weights)  the opset 17 dynamic ResNet-18 with its
               tensors in an external data file, as onnx.save_model writes models over 2 GiB
The zoo part exports the models named in ZOO at small, non-square sizes, so that the whole
suite stays within minutes; scripts/onnx/check_zoo.sh runs every zoo model at 224x224.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# model -> input size (HxW): non-square where the model accepts it
ZOO = {
    "resnet18": "64x80",
    "mobilenet_v2": "64x80",
    "squeezenet1_1": "64x80",
    "shufflenet_v2_x1_0": "64x96",
    "googlenet": "64x80",
    "inception_v3": "80x96",
    "densenet121": "64x64",
    "mnasnet1_0": "64x80",
}


def run(args):
    start = time.time()
    subprocess.run([sys.executable] + args, check=True)
    return time.time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", choices=("node", "zoo"), help="one part only")
    args = parser.parse_args()
    if args.only in (None, "node"):
        node = os.path.join(args.out, "node")
        shutil.rmtree(node, ignore_errors=True)
        took = run([os.path.join(HERE, "make_node_tests.py"), "--out", node])
        print(f"onnx node tests: {took:.1f}s")
    if args.only in (None, "zoo"):
        zoo = os.path.join(args.out, "zoo")
        os.makedirs(zoo, exist_ok=True)
        for model, size in ZOO.items():
            took = run([os.path.join(HERE, "export_torchvision.py"), "--out", zoo,
                        "--models", model,
                        "--opsets", "11,13,17", "--batches", "1,3", "--size", size,
                        "--bn-stats", "calibrated"])
            print(f"onnx zoo {model} at {size}: {took:.1f}s")
        external = os.path.join(args.out, "external")
        shutil.rmtree(external, ignore_errors=True)
        os.makedirs(external)
        import onnx  # Debian's python3-onnx
        model = onnx.load(os.path.join(zoo, "resnet18-opset17-dynamic.onnx"))
        onnx.save_model(model, os.path.join(external, "resnet18.onnx"), save_as_external_data=True,
                        all_tensors_to_one_file=True, location="resnet18.weights",
                        size_threshold=1024)


if __name__ == "__main__":
    main()
