"""Golden cases for batch_norm (training and evaluation, with and without affine, including
the updated running statistics) and local_response_norm."""
import torch
import torch.nn.functional as F

from common import run_case, seeded

FAMILY = "norm"


def channels_last(t):
    """[N, C, *spatial] -> [N, *spatial, C]; [N, C] is unchanged."""
    return t.detach().movedim(1, -1).contiguous()


def batch_norm_cases(out):
    for name, shape, affine, running, training, momentum, eps in [
        ("bn_train_affine", (4, 3, 5, 7), True, True, True, 0.1, 1e-5),
        ("bn_train_plain", (2, 5, 3, 3), False, True, True, 0.1, 1e-5),
        ("bn_train_batch1_nonsquare", (1, 4, 3, 5), True, True, True, 0.3, 1e-3),
        ("bn_train_no_running_stats", (3, 2, 4, 3), True, False, True, 0.1, 1e-5),
        ("bn_train_1d", (6, 5), True, True, True, 0.1, 1e-5),          # BatchNorm1d on [N, C]
        ("bn_train_1d_length", (3, 4, 5), False, True, True, 0.2, 1e-5),  # [N, C, L]
        ("bn_eval_affine", (3, 4, 5, 3), True, True, False, 0.1, 1e-5),
        ("bn_eval_plain_batch1", (1, 6, 2, 3), False, True, False, 0.1, 1e-4),
    ]:
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


def lrn_cases(out):
    for name, shape, scale, size, alpha, beta, k in [
        ("lrn_alexnet", (2, 7, 5, 6), 10.0, 5, 1e-4, 0.75, 2.0),
        ("lrn_alexnet_batch1_many_channels", (1, 16, 3, 2), 30.0, 5, 1e-4, 0.75, 2.0),
        ("lrn_defaults", (2, 6, 3, 3), 3.0, 5, 1e-4, 0.75, 1.0),
        ("lrn_strong_size3", (1, 6, 4, 3), 1.0, 3, 0.5, 0.75, 1.0),
        ("lrn_even_size4", (2, 9, 2, 3), 1.0, 4, 1.0, 0.5, 1.5),
        ("lrn_window_wider_than_channels", (2, 3, 3, 2), 1.0, 7, 2.0, 1.0, 1.0),
        ("lrn_size1", (2, 5, 2, 2), 1.0, 1, 0.3, 0.75, 1.0),
        ("lrn_3d_even_size2", (3, 5, 4), 1.0, 2, 0.8, 0.6, 1.2),
    ]:
        x = (torch.randn(*shape) * scale).requires_grad_()
        run_case(out, FAMILY, name, "local_response_norm",
                 {"size": size, "alpha": alpha, "beta": beta, "k": k}, {"x": x},
                 lambda x, size=size, alpha=alpha, beta=beta, k=k:
                     F.local_response_norm(x, size, alpha=alpha, beta=beta, k=k),
                 to_ours={"x": channels_last, "y": channels_last})


def generate(out):
    seeded(30)
    batch_norm_cases(out)
    lrn_cases(out)
