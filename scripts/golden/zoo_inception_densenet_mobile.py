"""Golden data for GoogLeNet, Inception v3, DenseNet, ShuffleNet v2, MobileNet v2 and MNASNet
(tests/models/inception_densenet_mobile_test.cpp): for each torchvision model, its parameter
count and state-dict keys with shapes in cnn's layout (models.json), and for a few models the
whole state dict, an input and torchvision's output:
  <name>_eval   eval mode: logits of a random batch
  <name>_train  (the state of <name>_eval) training mode (dropout off, since its random mask
                cannot match): logits, under a fixed upstream gradient the gradients of the last
                linear weight and of the first convolution's weight (also from a float64 copy of
                the model, `grad64.`, with PyTorch's float32 errors against them in the
                metadata, the larger of NCHW and channels_last),
                and the first batch norm's running statistics after the forward
Before saving, every batch norm gets random affine parameters and running statistics measured
on 8 other random images (so that eval-mode activations neither vanish nor explode, whatever the
initialization). Tensors are saved as `state.<key>` (conv weights HWIO), `input`, `output`,
`grad_output`, `grad.<key>`, `after.<key>`.
"""
import copy
import json
import os

import torch
import torchvision.models as tvm

from common import hwio, nhwc, seeded, write_safetensors

FAMILY = "zoo_inception_densenet_mobile"

# name -> constructor arguments that make torchvision build what cnn registers under the name
MODELS = {
    "googlenet": dict(aux_logits=False, transform_input=False, init_weights=True),
    "inception_v3": dict(aux_logits=False, transform_input=False, init_weights=True),
    "densenet121": {}, "densenet161": {}, "densenet169": {}, "densenet201": {},
    "shufflenet_v2_x0_5": {}, "shufflenet_v2_x1_0": {}, "shufflenet_v2_x1_5": {},
    "shufflenet_v2_x2_0": {},
    "mobilenet_v2": {},
    "mnasnet0_5": {}, "mnasnet0_75": {}, "mnasnet1_0": {}, "mnasnet1_3": {},
}

# name -> (input side, batch, first conv weight, first batch norm, last linear weight) for the
# forward cases: the training-mode comparisons, and eval mode with torchvision's own random
# initialization (every model's eval-mode comparison with saved weights is zoo_weights.py's)
FORWARD = {
    "densenet121": (64, 2, "features.conv0.weight", "features.norm0", "classifier.weight"),
    "mobilenet_v2": (64, 2, "features.0.0.weight", "features.0.1", "classifier.1.weight"),
}
TRAIN = ("densenet121", "mobilenet_v2")
# torchvision's transform_input=True (what its pretrained GoogLeNet and Inception v3 use):
# <name>_transform_input_eval, eval-mode logits at the given input side
TRANSFORM_INPUT = {"googlenet": 32, "inception_v3": 75}


def ours(key, t):
    """A state-dict tensor in cnn's layout: 4-D convolution weights OIHW -> HWIO."""
    return hwio(t) if t.dim() == 4 else t.detach().clone()


def calibrate(model, x):
    """Random batch norm affine parameters, and running statistics measured on x."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for m in bns:
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0.0, 0.1)
            m.reset_running_stats()
            m.momentum_saved, m.momentum = m.momentum, None  # None: plain average of batches
        model.train()
        model(x)
        for m in bns:
            m.momentum = m.momentum_saved
            del m.momentum_saved


def forward_case(out, name, model, side, batch, first_conv, first_bn, last_linear):
    x = torch.randn(batch, 3, side, side)
    # Statistics of 8 images: with the input's own 2, a channel of 1x1 maps (Inception v3's
    # last modules at 75x75) would be normalized by the spread of two numbers.
    calibrate(model, torch.randn(8, 3, side, side))
    state = {f"state.{k}": ours(k, v) for k, v in model.state_dict().items()}
    model.eval()
    with torch.no_grad():
        y = model(x)
    write_safetensors(os.path.join(out, f"{name}_eval.safetensors"),
                      {**state, "input": nhwc(x), "output": y}, {"model": name, "mode": "eval"})
    if name not in TRAIN:
        return
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.eval()
    exact = copy.deepcopy(model).double()
    other = copy.deepcopy(model).to(memory_format=torch.channels_last)
    y = model(x)
    g = torch.randn(y.shape)
    y.backward(g)
    exact(x.double()).backward(g.double())
    other(x.to(memory_format=torch.channels_last)).backward(g)
    params, exact_params = dict(model.named_parameters()), dict(exact.named_parameters())
    weight, truth = params[first_conv].grad, exact_params[first_conv].grad
    # PyTorch's own float32 distance from the float64 gradient: the noise level of the first
    # layer's gradient, which crosses dozens of ReLU6 kinks and batch norms of few samples, so
    # that rounding differences of 1e-7 flip whole pixels of the masks. Measured for both
    # memory layouts (other kernels, other rounding) and the larger kept: one float32 run can
    # land closer to float64 by luck (mobilenet_v2: 1e-4 in NCHW, ~1e-2 in channels_last).
    def distance(w, exact_w):
        return ((w.double() - exact_w).abs().max() / exact_w.abs().max()).item()
    other_params = dict(other.named_parameters())
    torch_error = max(distance(weight, truth), distance(other_params[first_conv].grad, truth))
    # the same for the last layer's gradient, which the ReLU6 flips reach too (mobilenet_v2)
    last_truth = exact_params[last_linear].grad
    torch_last_error = max(distance(params[last_linear].grad, last_truth),
                           distance(other_params[last_linear].grad, last_truth))
    bn = dict(model.named_modules())[first_bn]
    write_safetensors(os.path.join(out, f"{name}_train.safetensors"),
                      {"input": nhwc(x), "output": y.detach(), "grad_output": g,
                       f"grad.{first_conv}": hwio(weight),
                       f"grad64.{first_conv}": hwio(truth.float()),
                       f"grad.{last_linear}": params[last_linear].grad,
                       f"grad64.{last_linear}": last_truth.float(),
                       f"after.{first_bn}.running_mean": bn.running_mean.clone(),
                       f"after.{first_bn}.running_var": bn.running_var.clone()},
                      {"model": name, "mode": "train", "torch_float32_error": repr(torch_error),
                       "torch_float32_error_last": repr(torch_last_error)})


def generate(out_dir):
    out = os.path.join(out_dir, FAMILY)
    os.makedirs(out, exist_ok=True)
    summary = {}
    for i, (name, kwargs) in enumerate(MODELS.items()):
        seeded(1000 + i)
        model = getattr(tvm, name)(**kwargs)
        summary[name] = {
            "parameters": sum(p.numel() for p in model.parameters()),
            "state": [[k, list(ours(k, v).shape)] for k, v in model.state_dict().items()],
        }
        if name in FORWARD:
            forward_case(out, name, model, *FORWARD[name])
        if name in TRANSFORM_INPUT:
            seeded(2000 + i)
            transformed = getattr(tvm, name)(**{**kwargs, "transform_input": True})
            forward_case(out, f"{name}_transform_input", transformed, TRANSFORM_INPUT[name], 2,
                         None, None, None)
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    import sys
    import time
    torch.set_num_threads(1)
    start = time.time()
    generate(sys.argv[1] if len(sys.argv) > 1 else "golden")
    print(f"{FAMILY}: {time.time() - start:.1f}s")
