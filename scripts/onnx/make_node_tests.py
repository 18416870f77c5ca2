#!/usr/bin/python3
"""Writes ONNX's own backend node test cases (onnx 1.12's generator) for the ops cnn imports.

Run with Debian's Python (python3-onnx, python3-numpy), not a pyenv one:
  /usr/bin/python3 scripts/onnx/make_node_tests.py --out DIR [--ops Conv,Relu,...]

The layout is that of `python -m onnx.backend.test.cmd_tools generate-data`:
  DIR/<test_name>/model.onnx
  DIR/<test_name>/test_data_set_0/input_<k>.pb, output_<k>.pb   (serialized TensorProto)
plus DIR/manifest.json, one entry per case written:
  {"name", "ops": [op types in the graph, subgraphs and model-local functions included],
   "opset": default-domain opset version,
   "inputs"/"outputs": [{"name", "kind": "tensor"|"sequence"|"optional"|"map",
                         "elem_type": TensorProto.DataType number, "elem_type_name": "FLOAT"...,
                         "shape": [int | "dim_param" | null, ...] or null when unranked}]}
A case is written when its graph uses at least one op of --ops, whatever its dtypes.

The generator builds every case when its module is imported: each `export*` staticmethod runs
once at class creation, after np.random.seed(0), so the output is the same on every run.
"""
import argparse
import json
import os
import shutil
import sys
import time
import traceback

import numpy as np

# numpy 1.24 removed the aliases that onnx 1.12's test cases still use (np.float, np.bool, ...).
for _name, _value in {"float": float, "int": int, "bool": bool, "object": object,
                      "complex": complex, "str": str, "long": int, "unicode": str}.items():
    if _name not in np.__dict__:
        setattr(np, _name, _value)

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

DEFAULT_OPS = ("Conv ConvTranspose MaxPool AveragePool GlobalAveragePool GlobalMaxPool "
               "BatchNormalization LRN Relu LeakyRelu PRelu Sigmoid Tanh HardSigmoid HardSwish "
               "Clip Softmax LogSoftmax Gemm MatMul Add Sub Mul Div Sum Concat Split Slice Flatten "
               "Reshape Transpose Squeeze Unsqueeze Shape Gather Constant ConstantOfShape Identity "
               "Dropout Pad Resize Upsample ReduceMean ReduceMax Cast").split()


def collect_cases():
    """Imports every module of onnx.backend.test.case.node and returns (cases, failures).

    A failing export function or module is recorded and skipped instead of aborting the run
    (onnx's own collect_testcases stops at the first error). Each case is tagged with the
    export function that made it (case.export_name), to rename the rare duplicate name."""
    import importlib
    import pkgutil
    from onnx.backend.test.case import base
    failures = []

    def exporter_init(cls, name, bases, dct):
        for key, value in dct.items():
            if key.startswith("export"):
                if not isinstance(value, staticmethod):
                    raise ValueError("Only staticmethods could be named as export.*")
                export = getattr(cls, key)
                try:
                    base.Snippets[name].append(base.process_snippet(name, key, export))
                except Exception:  # only documentation snippets; not needed here
                    pass
                np.random.seed(seed=0)
                first = len(node_pkg._NodeTestCases)
                try:
                    export()
                except Exception as e:
                    failures.append(f"{name}.{key}: {type(e).__name__}: {e}")
                for case in node_pkg._NodeTestCases[first:]:
                    case.export_name = key
        type.__init__(cls, name, bases, dct)

    import onnx.backend.test.case.node as node_pkg
    base._Exporter.__init__ = exporter_init
    node_pkg._TargetOpType = None
    for _, name, ispkg in sorted(pkgutil.iter_modules(node_pkg.__path__), key=lambda m: m[1]):
        module_name = f"{node_pkg.__name__}.{name}"
        if module_name in sys.modules:
            continue
        try:
            importlib.import_module(module_name)
        except Exception as e:
            failures.append(f"{module_name}: {type(e).__name__}: {e}")
            traceback.print_exc(limit=1)
    return list(node_pkg._NodeTestCases), failures


def graph_ops(graph, ops):
    for node in graph.node:
        ops.add(node.op_type)
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                graph_ops(attr.g, ops)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    graph_ops(g, ops)
    return ops


def model_ops(model):
    ops = graph_ops(model.graph, set())
    for function in model.functions:
        for node in function.node:
            ops.add(node.op_type)
    return sorted(ops)


def default_opset(model):
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            return opset.version
    return None


def describe_type(type_proto):
    kind = type_proto.WhichOneof("value")
    kind = {"tensor_type": "tensor", "sequence_type": "sequence", "optional_type": "optional",
            "map_type": "map", "sparse_tensor_type": "sparse_tensor"}.get(kind, kind)
    tensor = None
    t = type_proto
    while t is not None:  # look through sequence/optional to the element tensor type
        which = t.WhichOneof("value")
        if which in ("tensor_type", "sparse_tensor_type"):
            tensor = getattr(t, which)
            break
        t = {"sequence_type": lambda: t.sequence_type.elem_type,
             "optional_type": lambda: t.optional_type.elem_type,
             "map_type": lambda: t.map_type.value_type}.get(which, lambda: None)()
    info = {"kind": kind, "elem_type": 0, "elem_type_name": "UNDEFINED", "shape": None}
    if tensor is not None:
        info["elem_type"] = tensor.elem_type
        info["elem_type_name"] = onnx.TensorProto.DataType.Name(tensor.elem_type)
        if tensor.HasField("shape"):
            info["shape"] = [d.dim_value if d.HasField("dim_value")
                             else (d.dim_param if d.HasField("dim_param") else None)
                             for d in tensor.shape.dim]
    return info


def describe_values(values):
    return [{"name": v.name, **describe_type(v.type)} for v in values]


def serialize_value(value, value_info):
    """As cmd_tools generate-data does: a TensorProto, SequenceProto, MapProto or OptionalProto."""
    t = value_info.type
    if t.HasField("map_type"):
        return numpy_helper.from_dict(value, value_info.name).SerializeToString()
    if t.HasField("sequence_type"):
        return numpy_helper.from_list(value, value_info.name).SerializeToString()
    if t.HasField("optional_type"):
        return numpy_helper.from_optional(value, value_info.name).SerializeToString()
    assert t.HasField("tensor_type"), value_info
    return numpy_helper.from_array(value, value_info.name).SerializeToString()


def write_case(folder, case):
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    graph = case.model.graph
    for i, (inputs, outputs) in enumerate(case.data_sets):
        data_dir = os.path.join(folder, f"test_data_set_{i}")
        os.makedirs(data_dir)
        for prefix, values, infos in (("input", inputs, graph.input),
                                      ("output", outputs, graph.output)):
            for j, value in enumerate(values):
                with open(os.path.join(data_dir, f"{prefix}_{j}.pb"), "wb") as f:
                    f.write(serialize_value(value, infos[j]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--ops", default=",".join(DEFAULT_OPS),
                        help="comma-separated op types; a case is kept when its graph uses one")
    args = parser.parse_args()
    wanted = {op.strip() for op in args.ops.split(",") if op.strip()}

    start = time.time()
    cases, failures = collect_cases()
    os.makedirs(args.out, exist_ok=True)
    manifest = []
    seen = set()
    fully_listed = 0
    renamed = []
    for case in sorted(cases, key=lambda c: c.name):
        if case.model is None or not case.data_sets:
            continue
        ops = model_ops(case.model)
        if not wanted.intersection(ops):
            continue
        name = case.name
        if name in seen:
            # onnx 1.12 names two Resize cases test_resize_tf_crop_and_resize; the second is
            # named after its export function (onnx 1.13 fixed it the same way).
            export = getattr(case, "export_name", "")
            name = "test_" + export[len("export_"):] if export.startswith("export_") else name
            name += "_expanded" if case.name.endswith("_expanded") else ""
            k = 2
            while name in seen:
                name, k = f"{case.name}_{k}", k + 1
            renamed.append(f"{case.name} -> {name}")
        seen.add(name)
        try:
            write_case(os.path.join(args.out, name), case)
        except Exception as e:
            failures.append(f"{name}: not written: {type(e).__name__}: {e}")
            shutil.rmtree(os.path.join(args.out, name), ignore_errors=True)
            continue
        fully_listed += set(ops) <= wanted
        manifest.append({"name": name, "ops": ops, "opset": default_opset(case.model),
                         "inputs": describe_values(case.model.graph.input),
                         "outputs": describe_values(case.model.graph.output)})
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    for failure in failures:
        print(f"make_node_tests: failed: {failure}", file=sys.stderr)
    for line in renamed:
        print(f"make_node_tests: duplicate name renamed: {line}", file=sys.stderr)
    print(f"make_node_tests: {len(manifest)} of {len(cases)} cases written to {args.out} "
          f"({fully_listed} use only listed ops; onnx {onnx.__version__}; "
          f"{len(failures)} failed, {len(renamed)} renamed; {time.time() - start:.1f} s)")
    return 1 if not manifest else 0


if __name__ == "__main__":
    sys.exit(main())
