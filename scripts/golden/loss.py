"""Golden cases for cross_entropy (label smoothing 0 and 0.1, every reduction), nll_loss and
mse_loss."""
import torch
import torch.nn.functional as F

from common import run_case, seeded

FAMILY = "loss"


def generate(out):
    seeded(50)
    for name, n, c, scale, smoothing, reduction in [
        ("ce_mean", 5, 7, 1.0, 0.0, "mean"),
        ("ce_sum", 5, 7, 1.0, 0.0, "sum"),
        ("ce_none", 5, 7, 1.0, 0.0, "none"),
        ("ce_smooth_mean", 5, 7, 1.0, 0.1, "mean"),
        ("ce_smooth_sum", 6, 3, 2.0, 0.1, "sum"),
        ("ce_smooth_none", 4, 11, 1.0, 0.1, "none"),
        ("ce_batch1", 1, 10, 1.0, 0.0, "mean"),
        ("ce_large_logits_smooth", 3, 5, 100.0, 0.1, "mean"),
    ]:
        logits = (torch.randn(n, c) * scale).requires_grad_()
        target = torch.randint(0, c, (n,))
        run_case(out, FAMILY, name, "cross_entropy",
                 {"label_smoothing": smoothing, "reduction": reduction},
                 {"logits": logits, "target": target},
                 lambda logits, target, s=smoothing, red=reduction:
                     F.cross_entropy(logits, target, label_smoothing=s, reduction=red))
    for name, n, c, reduction in [
        ("nll_mean", 6, 5, "mean"), ("nll_sum", 3, 4, "sum"), ("nll_none", 4, 3, "none"),
        ("nll_batch1", 1, 9, "mean"),
    ]:
        log_probs = F.log_softmax(torch.randn(n, c), dim=1).detach().requires_grad_()
        target = torch.randint(0, c, (n,))
        run_case(out, FAMILY, name, "nll_loss", {"reduction": reduction},
                 {"log_probs": log_probs, "target": target},
                 lambda log_probs, target, red=reduction: F.nll_loss(log_probs, target,
                                                                     reduction=red))
    for name, shape, reduction in [
        ("mse_mean", (2, 3, 4, 5), "mean"), ("mse_sum", (7, 3), "sum"),
        ("mse_none", (1, 3, 2, 5), "none"), ("mse_vector", (9,), "mean"),
    ]:
        x = torch.randn(*shape).requires_grad_()
        t = torch.randn(*shape).requires_grad_()
        run_case(out, FAMILY, name, "mse_loss", {"reduction": reduction}, {"input": x, "target": t},
                 lambda input, target, red=reduction: F.mse_loss(input, target, reduction=red))
