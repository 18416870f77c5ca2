"""Golden cases for batch_norm (training and evaluation, with and without affine, including
the updated running statistics), batch_norm_relu (relu(batch_norm(x) + residual), PyTorch's
three ops) and local_response_norm."""
import torch
import torch.nn.functional as F

from common import cases_for, run_case, seeded

FAMILY = "norm"


def channels_last(t):
    """[N, C, *spatial] -> [N, *spatial, C]; [N, C] is unchanged."""
    return t.detach().movedim(1, -1).contiguous()


def channels_first(shape):
    """tests/cases/norm.json's [N, *spatial, C] -> PyTorch's [N, C, *spatial]."""
    return (shape[0], shape[-1], *shape[1:-1])


def batch_norm_relu_cases(out, cases):
    for case in cases:
        name, shape = case["name"], channels_first(case["x"])
        affine, running, training = case["affine"], case["running_stats"], case["training"]
        momentum, eps = case["momentum"], case["eps"]
        C = shape[1]
        inputs = {"x": (torch.randn(*shape) * 2 + 0.5).requires_grad_()}
        if case["residual"]:
            inputs["residual"] = torch.randn(*shape).requires_grad_()
        if running:
            inputs["running_mean"] = torch.randn(C) * 0.3
            inputs["running_var"] = torch.rand(C) + 0.5
        if affine:
            inputs["gamma"] = (torch.rand(C) + 0.5).requires_grad_()
            inputs["beta"] = torch.randn(C).requires_grad_()

        def forward(x, residual=None, running_mean=None, running_var=None, gamma=None, beta=None,
                    training=training, momentum=momentum, eps=eps):
            rm = None if running_mean is None else running_mean.clone()
            rv = None if running_var is None else running_var.clone()
            y = F.batch_norm(x, rm, rv, gamma, beta, training=training, momentum=momentum, eps=eps)
            outputs = {"y": F.relu(y if residual is None else y + residual)}
            if rm is not None:
                outputs["running_mean"] = rm
                outputs["running_var"] = rv
            return outputs

        run_case(out, FAMILY, name, "batch_norm_relu",
                 {"training": training, "momentum": momentum, "eps": eps}, inputs, forward,
                 to_ours={"x": channels_last, "residual": channels_last, "y": channels_last})


def batch_norm_cases(out, cases):
    # [N, C] is BatchNorm1d's input, [N, C, L] its input with a length
    for case in cases:
        name, shape = case["name"], channels_first(case["x"])
        affine, running, training = case["affine"], case["running_stats"], case["training"]
        momentum, eps = case["momentum"], case["eps"]
        C = shape[1]
        inputs = {"x": (torch.randn(*shape) * 2 + 0.5).requires_grad_()}
        if running:
            inputs["running_mean"] = torch.randn(C) * 0.3
            inputs["running_var"] = torch.rand(C) + 0.5
        if affine:
            inputs["gamma"] = (torch.rand(C) + 0.5).requires_grad_()
            inputs["beta"] = torch.randn(C).requires_grad_()

        def forward(x, running_mean=None, running_var=None, gamma=None, beta=None,
                    training=training, momentum=momentum, eps=eps):
            # Copies: F.batch_norm updates the running statistics in place, and the inputs
            # saved for the C++ side must be the values before the update.
            rm = None if running_mean is None else running_mean.clone()
            rv = None if running_var is None else running_var.clone()
            y = F.batch_norm(x, rm, rv, gamma, beta, training=training, momentum=momentum, eps=eps)
            outputs = {"y": y}
            if rm is not None:
                outputs["running_mean"] = rm
                outputs["running_var"] = rv
            return outputs

        run_case(out, FAMILY, name, "batch_norm",
                 {"training": training, "momentum": momentum, "eps": eps}, inputs, forward,
                 to_ours={"x": channels_last, "y": channels_last})


def lrn_cases(out, cases):
    for case in cases:
        name, shape, scale = case["name"], channels_first(case["x"]), case["scale"]
        size, alpha, beta, k = case["size"], case["alpha"], case["beta"], case["k"]
        x = (torch.randn(*shape) * scale).requires_grad_()
        run_case(out, FAMILY, name, "local_response_norm",
                 {"size": size, "alpha": alpha, "beta": beta, "k": k}, {"x": x},
                 lambda x, size=size, alpha=alpha, beta=beta, k=k:
                     F.local_response_norm(x, size, alpha=alpha, beta=beta, k=k),
                 to_ours={"x": channels_last, "y": channels_last})


def generate(out):
    seeded(30)
    cases = cases_for("norm")
    batch_norm_cases(out, [c for c in cases if c["op"] == "batch_norm"])
    batch_norm_relu_cases(out, [c for c in cases if c["op"] == "batch_norm_relu"])
    lrn_cases(out, [c for c in cases if c["op"] == "local_response_norm"])
