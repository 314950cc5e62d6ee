#!/usr/bin/env python3
"""scripts/gen_fixtures_regularize.py — PyTorch reference values for the regularisers in
common/ops/ (op_l1, op_l2) and common/nn/ (BatchNorm = torch.nn.BatchNorm1d).

Run:  /usr/bin/python3 scripts/gen_fixtures_regularize.py     (needs torch; tested with 1.13)
Writes (committed, so the tests need no Python):
  tests/fixtures/regularize_torch.txt

Same file format as scripts/gen_fixtures_ch02.py ('#' comments, '@ <name> <dims...>' blocks,
one %.9g value per line, row-major; ".f64" = computed in float64 from the float32 inputs).
Dropout has no fixture: its mask comes from our PCG32 stream, not torch's generator; the tests
check its statistics instead.
"""
import os
import sys

import torch

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures_ch02 import Writer  # noqa: E402  (the one writer for the shared format)

SEED = 2024
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "regularize_torch.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_regularize.py"
B, K, BE = 8, 5, 4   # train batch, features, eval batch


def batch(g, rows):
    """(rows, K) float32 with a different mean and scale per feature, as real activations."""
    shift = torch.tensor([3.0, -1.0, 0.0, 10.0, 0.5])
    scale = torch.tensor([2.0, 0.5, 1.0, 0.1, 4.0])
    return (torch.randn(rows, K, generator=g) * scale + shift).float()


def main():
    g = torch.Generator().manual_seed(SEED)
    w = Writer(OUT,
               "regularize_torch: BatchNorm1d(%d) train/eval, L1, L2 vs PyTorch; seed %d; "
               "made by: %s (torch %s)" % (K, SEED, CMD, torch.__version__),
               ["Format: see scripts/gen_fixtures_ch02.py. Blocks:",
                "bn.x (%d,%d) bn.gamma (%d) bn.beta (%d) bn.dy (%d,%d): one train-mode step of a fresh" % (B, K, K, K, B, K),
                "  BatchNorm1d (momentum 0.1, eps 1e-5) with weight=gamma, bias=beta; L = sum(out * dy);",
                "  bn.out.f64, bn.dx.f64, bn.dgamma.f64, bn.dbeta.f64 its output and gradients;",
                "bn.x2, bn.x3 (%d,%d): two more train steps; bn.running_mean.f64, bn.running_var.f64" % (B, K),
                "  the running statistics after the three steps (running_var from the unbiased variance);",
                "bn.xe (%d,%d) bn.dye (%d,%d): eval mode after those steps; bn.eval_out.f64, bn.eval_dx.f64;" % (BE, K, BE, K),
                "l1.x l2.x (3,4), l1.dy l2.dy scalars: L = dy * sum|x|, dy * 0.5 sum x^2;",
                "  l1.out.f64 l1.dx.f64 l2.out.f64 l2.dx.f64 (l1 inputs in +-[0.1, 1.5], away from 0)."])

    x = batch(g, B)
    gamma = torch.empty(K).uniform_(0.5, 1.5, generator=g).float()
    beta = torch.empty(K).uniform_(-0.5, 0.5, generator=g).float()
    dy = torch.randn(B, K, generator=g).float()
    x2, x3 = batch(g, B), batch(g, B)
    xe = batch(g, BE)
    dye = torch.randn(BE, K, generator=g).float()

    bn = torch.nn.BatchNorm1d(K).double()   # momentum 0.1, eps 1e-5: the layer's defaults
    with torch.no_grad():
        bn.weight.copy_(gamma.double())
        bn.bias.copy_(beta.double())
    bn.train()
    x64 = x.double().requires_grad_(True)
    out = bn(x64)
    (out * dy.double()).sum().backward()
    for name, t in [("bn.x", x), ("bn.gamma", gamma), ("bn.beta", beta), ("bn.dy", dy),
                    ("bn.out.f64", out), ("bn.dx.f64", x64.grad),
                    ("bn.dgamma.f64", bn.weight.grad), ("bn.dbeta.f64", bn.bias.grad)]:
        w.block(name, t)
    with torch.no_grad():
        bn(x2.double())
        bn(x3.double())
    w.block("bn.x2", x2)
    w.block("bn.x3", x3)
    w.block("bn.running_mean.f64", bn.running_mean)
    w.block("bn.running_var.f64", bn.running_var)

    bn.eval()
    xe64 = xe.double().requires_grad_(True)
    oute = bn(xe64)
    (oute * dye.double()).sum().backward()
    for name, t in [("bn.xe", xe), ("bn.dye", dye), ("bn.eval_out.f64", oute),
                    ("bn.eval_dx.f64", xe64.grad)]:
        w.block(name, t)

    for op in ("l1", "l2"):
        mag = torch.empty(3, 4).uniform_(0.1, 1.5, generator=g)
        sign = torch.where(torch.rand(3, 4, generator=g) < 0.5, -1.0, 1.0)
        xp = (mag * sign).float()
        up = torch.empty(()).uniform_(0.5, 2.0, generator=g).float()
        x64 = xp.double().requires_grad_(True)
        val = x64.abs().sum() if op == "l1" else 0.5 * (x64 * x64).sum()
        (val * up.double()).backward()
        w.block(op + ".x", xp)
        w.block(op + ".dy", up)
        w.block(op + ".out.f64", val)
        w.block(op + ".dx.f64", x64.grad)
    w.close()


if __name__ == "__main__":
    main()
