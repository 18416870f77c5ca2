"""Golden cases for optimizers and learning-rate schedules (torch.optim, torch.optim.lr_scheduler).

Optimizer cases (op "sgd", "adam", "adamw"): two parameters p0 [4, 6] and p1 [5] get five
seeded gradients each (input.g0 [5, 4, 6], input.g1 [5, 5]); input.has_grad [2, 5] says which
steps a parameter has a gradient (0: p.grad is None, the parameter is skipped). The outputs are
the parameters after each step (output.p0 [5, 4, 6], output.p1 [5, 5]) and the optimizer's final
state under cnn's state_dict keys (output.state.param.1.exp_avg, output.state.step, ...).
params["options"] holds the options under cnn's names.

Schedule cases (op "schedule"): output.lrs [n] is the learning rate of each of the first n
updates (read before optimizer.step(), then scheduler.step()); params["config"] is the
ScheduleConfig that make_schedule() takes for the same schedule.
"""
import warnings

import torch
from torch.optim import lr_scheduler as sched

from common import save_case, seeded

FAMILY = "optim"
STEPS = 5
GRAD_SCALES = [2.0, 0.3, 1.5, 0.2, 1.0]  # varying magnitudes, so that amsgrad's max matters


def make_optimizer(op, params, o):
    if op == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get("momentum", 0.0),
                               dampening=o.get("dampening", 0.0),
                               weight_decay=o.get("weight_decay", 0.0),
                               nesterov=o.get("nesterov", False), foreach=False)
    cls = torch.optim.Adam if op == "adam" else torch.optim.AdamW
    return cls(params, lr=o["lr"], betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)),
               eps=o.get("eps", 1e-8),
               weight_decay=o.get("weight_decay", 0.0 if op == "adam" else 1e-2),
               amsgrad=o.get("amsgrad", False), foreach=False)


def optimizer_case(out, name, op, options, p1_has_grad=(1, 1, 1, 1, 1)):
    p0 = torch.randn(4, 6)
    p1 = torch.randn(5)
    g0 = torch.stack([torch.randn(4, 6) * s for s in GRAD_SCALES])
    g1 = torch.stack([torch.randn(5) * s for s in GRAD_SCALES])
    has_grad = torch.tensor([[1] * STEPS, list(p1_has_grad)], dtype=torch.int64)
    params = [p0.clone().requires_grad_(), p1.clone().requires_grad_()]
    opt = make_optimizer(op, params, options)
    history = [[], []]
    for t in range(STEPS):
        for i, g in enumerate((g0, g1)):
            params[i].grad = g[t].clone() if has_grad[i, t] else None
        opt.step()
        for i in range(2):
            history[i].append(params[i].detach().clone())
    outputs = {"p0": torch.stack(history[0]), "p1": torch.stack(history[1]),
               "state.step": torch.tensor(STEPS, dtype=torch.int64),
               "state.param_count": torch.tensor(2, dtype=torch.int64)}
    for i, p in enumerate(params):
        for key, value in opt.state[p].items():
            if value is None:
                continue
            if key == "step":
                value = torch.tensor(int(value), dtype=torch.int64)
            outputs[f"state.param.{i}.{key}"] = value
    save_case(out, FAMILY, name, op, {"options": options},
              {"p0": p0, "p1": p1, "g0": g0, "g1": g1, "has_grad": has_grad}, outputs)


def schedule_case(out, name, config, lr, make_scheduler, n):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    scheduler = make_scheduler(opt)
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    save_case(out, FAMILY, name, "schedule", {"config": config}, {},
              {"lrs": torch.tensor(lrs, dtype=torch.float64)})


def warmup(opt, start_factor, steps, after):
    return sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=start_factor,
                                                   total_iters=steps),
                                    after(opt)], milestones=[steps])


def generate(out):
    # SequentialLR starts the scheduler after a milestone with step(0), which warns.
    warnings.filterwarnings("ignore", message="The epoch parameter")
    seeded(31)
    skips = (0, 1, 0, 1, 1)  # p1 has no gradient on steps 0 and 2
    for name, op, options, p1_has_grad in [
        ("sgd_plain", "sgd", {"lr": 0.1}, None),
        ("sgd_momentum", "sgd", {"lr": 0.05, "momentum": 0.9}, None),
        ("sgd_dampening_weight_decay", "sgd",
         {"lr": 0.1, "momentum": 0.8, "dampening": 0.5, "weight_decay": 0.01}, None),
        ("sgd_nesterov_weight_decay", "sgd",
         {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4}, None),
        ("sgd_momentum_skipped_grads", "sgd", {"lr": 0.1, "momentum": 0.9}, skips),
        ("adam_default", "adam", {"lr": 1e-3}, None),
        # eps = 0.1 makes its place (outside the square root, after bias correction) visible.
        ("adam_betas_eps_weight_decay", "adam",
         {"lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 0.1, "weight_decay": 0.1}, None),
        ("adam_amsgrad", "adam", {"lr": 0.02, "beta2": 0.5, "amsgrad": True}, None),
        ("adam_skipped_grads", "adam", {"lr": 0.01}, skips),
        ("adamw_default", "adamw", {"lr": 1e-3}, None),
        ("adamw_weight_decay_amsgrad", "adamw",
         {"lr": 0.05, "beta2": 0.5, "eps": 1e-3, "weight_decay": 0.1, "amsgrad": True}, None),
        ("adamw_skipped_grads", "adamw", {"lr": 0.01, "weight_decay": 0.05}, skips),
    ]:
        optimizer_case(out, name, op, options, p1_has_grad or (1,) * STEPS)

    schedule_case(out, "schedule_warmup_constant",
                  {"name": "constant", "lr": 0.1, "total_steps": 30, "warmup_steps": 6,
                   "warmup_start_factor": 0.25},
                  0.1, lambda o: warmup(o, 0.25, 6, lambda o: sched.LambdaLR(o, lambda t: 1.0)), 30)
    schedule_case(out, "schedule_step_size",
                  {"name": "step", "lr": 0.1, "total_steps": 50, "steps_per_epoch": 5,
                   "gamma": 0.5, "step_size_epochs": 3},
                  0.1, lambda o: sched.StepLR(o, step_size=15, gamma=0.5), 50)
    schedule_case(out, "schedule_step_milestones",
                  {"name": "step", "lr": 0.2, "total_steps": 50, "steps_per_epoch": 5,
                   "gamma": 0.1, "milestone_epochs": [2, 5, 8]},
                  0.2, lambda o: sched.MultiStepLR(o, milestones=[10, 25, 40], gamma=0.1), 50)
    # 51 rates: the last update of a 50-step cosine run and the one after it reach min_lr.
    schedule_case(out, "schedule_cosine",
                  {"name": "cosine", "lr": 0.1, "total_steps": 50, "min_lr": 0.001},
                  0.1, lambda o: sched.CosineAnnealingLR(o, T_max=50, eta_min=0.001), 51)
    schedule_case(out, "schedule_onecycle_default",
                  {"name": "onecycle", "lr": 0.1, "total_steps": 50},
                  0.1, lambda o: sched.OneCycleLR(o, max_lr=0.1, total_steps=50,
                                                  cycle_momentum=False), 50)
    schedule_case(out, "schedule_onecycle_options",
                  {"name": "onecycle", "lr": 0.02, "total_steps": 37, "pct_start": 0.25,
                   "div_factor": 10.0, "final_div_factor": 100.0},
                  0.02, lambda o: sched.OneCycleLR(o, max_lr=0.02, total_steps=37, pct_start=0.25,
                                                   div_factor=10.0, final_div_factor=100.0,
                                                   cycle_momentum=False), 37)
    schedule_case(out, "schedule_warmup_cosine",
                  {"name": "cosine", "lr": 0.1, "total_steps": 50, "min_lr": 1e-4,
                   "warmup_steps": 5, "warmup_start_factor": 0.1},
                  0.1, lambda o: warmup(o, 0.1, 5, lambda o: sched.CosineAnnealingLR(
                      o, T_max=45, eta_min=1e-4)), 50)
    schedule_case(out, "schedule_warmup_step",
                  {"name": "step", "lr": 0.1, "total_steps": 50, "steps_per_epoch": 5,
                   "gamma": 0.5, "step_size_epochs": 2, "warmup_steps": 4},
                  0.1, lambda o: warmup(o, 1.0 / 3.0, 4, lambda o: sched.StepLR(
                      o, step_size=10, gamma=0.5)), 50)
    schedule_case(out, "schedule_warmup_onecycle",
                  {"name": "onecycle", "lr": 0.1, "total_steps": 40, "warmup_steps": 8,
                   "warmup_start_factor": 0.5},
                  0.1, lambda o: warmup(o, 0.5, 8, lambda o: sched.OneCycleLR(
                      o, max_lr=0.1, total_steps=32, cycle_momentum=False)), 40)
