#!/usr/bin/env python3
"""scripts/gen_fixtures_optim.py — torch.optim reference trajectories for common/optim/.

Run:  /usr/bin/python3 scripts/gen_fixtures_optim.py        (needs torch; tested with 1.13)
Writes (committed, so the tests need no Python):
  tests/fixtures/optim_torch.txt

Format: that of scripts/gen_fixtures_ch02.py ('#' comments, blocks "@ <name> <d0> <d1> ..."
followed by the values one per line, row-major, %.9g). Blocks:
  theta0 (9)               the initial parameter: a 2x3 weight w then a bias b of 3, flattened
  grads (20, 9)            the fixed gradient fed at every step (float32 values, seeded)
  <cfg>.config (6)         lr, momentum, beta1, beta2 (RMSprop: alpha), eps, weight_decay
  <cfg>.theta.f64 (20, 9)  theta after every step, torch.optim in float64
  <cfg>.theta.f32 (20, 9)  the same in float32 (what the C code computes in)
  sched.<name> (30)        the learning rate at steps 0..29 (torch.optim.lr_scheduler, float64)
  sched.<name>.config (6)  base_lr, step_size, gamma, total_steps (T_max), min_lr, warmup_steps
  clip.<case>.grads (9), clip.<case>.max_norm (scalar): input of clip_grad_norm_
  clip.<case>.norm (scalar), clip.<case>.clipped (9): its returned norm and the clipped grads
<cfg> is the optimizer's name (sgd momentum nesterov adagrad rmsprop adam adamw) optionally
followed by "_" and a variant (sgd_wd, rmsprop_momentum, adam_l2).
"""
import math
import os

import torch

SEED = 4321
STEPS = 20
SCHED_STEPS = 30
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(ROOT, "tests", "fixtures", "optim_torch.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_optim.py"

# name -> (torch class, kwargs, our config: lr momentum beta1 beta2 eps weight_decay)
CONFIGS = [
    ("sgd", torch.optim.SGD, dict(lr=0.1), (0.1, 0, 0, 0, 1e-8, 0)),
    ("sgd_wd", torch.optim.SGD, dict(lr=0.1, weight_decay=0.1), (0.1, 0, 0, 0, 1e-8, 0.1)),
    ("momentum", torch.optim.SGD, dict(lr=0.1, momentum=0.9), (0.1, 0.9, 0, 0, 1e-8, 0)),
    ("momentum_wd", torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1),
     (0.1, 0.9, 0, 0, 1e-8, 0.1)),
    ("nesterov", torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True),
     (0.1, 0.9, 0, 0, 1e-8, 0)),
    ("adagrad", torch.optim.Adagrad, dict(lr=0.1, eps=1e-10), (0.1, 0, 0, 0, 1e-10, 0)),
    ("adagrad_wd", torch.optim.Adagrad, dict(lr=0.1, eps=1e-10, weight_decay=0.1),
     (0.1, 0, 0, 0, 1e-10, 0.1)),
    ("rmsprop", torch.optim.RMSprop, dict(lr=0.01, alpha=0.99, eps=1e-8),
     (0.01, 0, 0, 0.99, 1e-8, 0)),
    ("rmsprop_momentum", torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-8, momentum=0.9),
     (0.01, 0.9, 0, 0.9, 1e-8, 0)),
    ("adam", torch.optim.Adam, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8),
     (0.01, 0, 0.9, 0.999, 1e-8, 0)),
    ("adam_l2", torch.optim.Adam, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1),
     (0.01, 0, 0.9, 0.999, 1e-8, 0.1)),
    ("adamw", torch.optim.AdamW, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.1),
     (0.01, 0, 0.8, 0.99, 1e-8, 0.1)),
]


class Writer:
    def __init__(self, path, header):
        self.path = path
        self.lines = ["# " + h if h else "#" for h in header]

    def block(self, name, t):
        t = torch.as_tensor(t).detach()
        dims = " ".join(str(d) for d in t.shape)
        self.lines.append(("@ %s %s" % (name, dims)).rstrip())
        for v in t.reshape(-1).tolist():
            self.lines.append("%.9g" % v)

    def close(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        os.replace(tmp, self.path)
        print("wrote %s (%d lines)" % (os.path.relpath(self.path, ROOT), len(self.lines)))


def trajectory(cls, kwargs, theta0, grads, dtype):
    w = theta0[:6].reshape(2, 3).to(dtype).clone().requires_grad_(True)
    b = theta0[6:].to(dtype).clone().requires_grad_(True)
    opt = cls([w, b], **kwargs)
    out = []
    for g in grads:
        g = g.to(dtype)
        w.grad = g[:6].reshape(2, 3).clone()
        b.grad = g[6:].clone()
        opt.step()
        out.append(torch.cat([w.detach().reshape(-1), b.detach()]).double())
    return torch.stack(out)


def lrs(make, base_lr):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    out = []
    for _ in range(SCHED_STEPS):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return torch.tensor(out, dtype=torch.float64)


def main():
    g = torch.Generator().manual_seed(SEED)
    theta0 = torch.randn(9, generator=g).float()
    grads = torch.randn(STEPS, 9, generator=g).float()
    w = Writer(PATH, [
        "optim_torch: torch.optim trajectories, lr schedules and clip_grad_norm_; seed %d; "
        "made by: %s (torch %s)" % (SEED, CMD, torch.__version__),
        "Format and block list: see the docstring of scripts/gen_fixtures_optim.py.",
        "theta = [w (2,3) row-major, b (3)]; grads[k] is the gradient fed at step k+1;",
        "<cfg>.theta.fXX[k] is theta after step k+1. Schedules: lr at steps 0..%d." % (SCHED_STEPS - 1)])
    w.block("theta0", theta0)
    w.block("grads", grads)
    for name, cls, kwargs, cfg in CONFIGS:
        w.block(name + ".config", torch.tensor(cfg, dtype=torch.float64))
        w.block(name + ".theta.f64", trajectory(cls, kwargs, theta0, grads, torch.float64))
        w.block(name + ".theta.f32", trajectory(cls, kwargs, theta0, grads, torch.float32))

    S = torch.optim.lr_scheduler
    W = 5
    warm = lambda s: (s + 1) / (W + 1)   # linear warm-up from 0: base·(s+1)/(W+1), s < W
    scheds = [
        # name, factory, base_lr, (base_lr, step_size, gamma, total_steps, min_lr, warmup)
        ("constant", lambda o: S.LambdaLR(o, lambda s: 1.0), 0.1, (0.1, 0, 0, 0, 0, 0)),
        ("step", lambda o: S.StepLR(o, step_size=7, gamma=0.5), 0.1, (0.1, 7, 0.5, 0, 0, 0)),
        ("exponential", lambda o: S.ExponentialLR(o, gamma=0.9), 0.1, (0.1, 0, 0.9, 0, 0, 0)),
        ("cosine", lambda o: S.CosineAnnealingLR(o, T_max=SCHED_STEPS - 1, eta_min=0.001), 0.1,
         (0.1, 0, 0, SCHED_STEPS - 1, 0.001, 0)),
        ("warmup_cosine", lambda o: S.SequentialLR(o, [
            S.LambdaLR(o, warm), S.CosineAnnealingLR(o, T_max=SCHED_STEPS - 1 - W, eta_min=0.001)],
            milestones=[W]), 0.1, (0.1, 0, 0, SCHED_STEPS - 1 - W, 0.001, W)),
        ("warmup_step", lambda o: S.SequentialLR(o, [
            S.LambdaLR(o, warm), S.StepLR(o, step_size=4, gamma=0.7)], milestones=[W]), 0.05,
         (0.05, 4, 0.7, 0, 0, W)),
    ]
    for name, make, base, cfg in scheds:
        w.block("sched.%s.config" % name, torch.tensor(cfg, dtype=torch.float64))
        w.block("sched." + name, lrs(make, base))

    # Clipping: one case far below the limit (unchanged), one above (scaled).
    for case, max_norm in (("below", 100.0), ("above", 0.5)):
        gs = [grads[0][:6].double().reshape(2, 3).clone(), grads[1][6:].double().clone()]
        ps = [torch.zeros_like(x, requires_grad=True) for x in gs]
        for p, x in zip(ps, gs):
            p.grad = x.clone()
        norm = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        w.block("clip.%s.grads" % case, torch.cat([x.reshape(-1) for x in gs]))
        w.block("clip.%s.max_norm" % case, torch.tensor(max_norm, dtype=torch.float64))
        w.block("clip.%s.norm" % case, norm)
        w.block("clip.%s.clipped" % case, torch.cat([p.grad.reshape(-1) for p in ps]))
    w.close()


if __name__ == "__main__":
    main()
