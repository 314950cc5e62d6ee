#!/usr/bin/env python3
"""scripts/gen_fixtures_cnn.py — PyTorch reference values for the CNN ops in common/ops/
(op_conv2d, op_maxpool2d, op_avgpool2d, op_global_avgpool, op_batchnorm2d,
op_cross_entropy_weighted) and common/nn/ (batchnorm2d_forward = torch.nn.BatchNorm2d).

Run:  /usr/bin/python3 scripts/gen_fixtures_cnn.py     (needs torch; tested with 1.13)
Writes (committed, so the tests need no Python):
  tests/fixtures/cnn_torch.txt

Same file format as scripts/gen_fixtures_ch02.py ('#' comments, '@ <name> <dims...>' blocks,
one %.9g value per line, row-major; ".f64" = computed in float64 from the float32 inputs).
The format has at most 2 dimensions, so every 4-D (N, C, H, W) tensor is written flat, and a
"<case>.cfg" block gives the sizes the test rebuilds it with.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures_ch02 import Writer  # noqa: E402  (the one writer for the shared format)

SEED = 2025
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "cnn_torch.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_cnn.py"

# name: (N, C_in, H, W, C_out, K, stride, pad)
CONVS = {
    "conv_a": (2, 3, 7, 6, 4, 3, 1, 1),    # 3x3 "same" padding, odd sizes
    "conv_b": (1, 2, 9, 8, 3, 5, 2, 2),    # 5x5, stride 2, pad 2, batch 1
    "conv_c": (3, 4, 5, 5, 2, 1, 2, 0),    # 1x1, stride 2, no padding
}
# name: (op, N, C, H, W, k, stride)
POOLS = {
    "maxpool_a": ("max", 2, 3, 8, 7, 2, 2),   # non-overlapping, odd width (last column unused)
    "maxpool_b": ("max", 1, 2, 7, 9, 3, 2),   # overlapping windows
    "avgpool_a": ("avg", 2, 3, 8, 7, 2, 2),
    "avgpool_b": ("avg", 1, 2, 7, 9, 3, 2),
}


def flat(t):
    return t.reshape(-1)


def no_ties(g, shape):
    """float32 values, all distinct and at least 0.01 apart: no ties inside a max-pool window."""
    n = 1
    for d in shape:
        n *= d
    perm = torch.randperm(n, generator=g).double()
    return ((perm - n / 2) * 0.05).reshape(shape).float()


def main():
    g = torch.Generator().manual_seed(SEED)
    w = Writer(OUT,
               "cnn_torch: conv2d, max/avg/global pooling, BatchNorm2d, weighted cross-entropy "
               "vs PyTorch; seed %d; made by: %s (torch %s)" % (SEED, CMD, torch.__version__),
               ["Format: see scripts/gen_fixtures_ch02.py; 4-D tensors are written flat. Blocks:",
                "conv_?.cfg (8) = N C_in H W C_out K stride pad; conv_?.x .w .b .dy (float32);",
                "  conv_?.out.f64 = conv2d(x, w, b); L = sum(out * dy): .dx.f64 .dw.f64 .db.f64;",
                "maxpool_?/avgpool_?.cfg (6) = N C H W k stride; .x (distinct values) .dy .out.f64 .dx.f64;",
                "gap.cfg (4) = N C H W; gap.x gap.dy (N,C) gap.out.f64 gap.dx.f64;",
                "bn.cfg (4) = N C H W; bn.x bn.gamma bn.beta bn.dy: one train step of a fresh",
                "  BatchNorm2d(C) (momentum 0.1, eps 1e-5): bn.out.f64 bn.dx.f64 bn.dgamma.f64 bn.dbeta.f64,",
                "  bn.running_mean.f64 bn.running_var.f64 after it; then eval mode: bn.xe bn.dye,",
                "  bn.eval_out.f64 bn.eval_dx.f64 bn.eval_dgamma.f64 bn.eval_dbeta.f64;",
                "cew.logits (B,V) cew.targets (B) cew.weight (V) cew.dy (scalar):",
                "  L = dy * CrossEntropyLoss(weight)(logits, targets): cew.loss.f64 cew.dlogits.f64."])

    for name, (N, C, H, W, K, R, stride, pad) in CONVS.items():
        x = torch.randn(N, C, H, W, generator=g).float()
        a = 1.0 / (C * R * R) ** 0.5
        wt = torch.empty(K, C, R, R).uniform_(-a, a, generator=g).float()
        b = torch.empty(K).uniform_(-a, a, generator=g).float()
        x64 = x.double().requires_grad_(True)
        w64 = wt.double().requires_grad_(True)
        b64 = b.double().requires_grad_(True)
        out = F.conv2d(x64, w64, b64, stride=stride, padding=pad)
        dy = torch.randn(out.shape, generator=g).float()
        (out * dy.double()).sum().backward()
        w.block(name + ".cfg", torch.tensor([N, C, H, W, K, R, stride, pad], dtype=torch.float64))
        for suffix, t in [("x", x), ("w", wt), ("b", b), ("dy", dy), ("out.f64", out),
                          ("dx.f64", x64.grad), ("dw.f64", w64.grad), ("db.f64", b64.grad)]:
            w.block("%s.%s" % (name, suffix), flat(t))

    for name, (op, N, C, H, W, k, stride) in POOLS.items():
        x = no_ties(g, (N, C, H, W))
        x64 = x.double().requires_grad_(True)
        pool = F.max_pool2d if op == "max" else F.avg_pool2d
        out = pool(x64, k, stride)
        dy = torch.randn(out.shape, generator=g).float()
        (out * dy.double()).sum().backward()
        w.block(name + ".cfg", torch.tensor([N, C, H, W, k, stride], dtype=torch.float64))
        for suffix, t in [("x", x), ("dy", dy), ("out.f64", out), ("dx.f64", x64.grad)]:
            w.block("%s.%s" % (name, suffix), flat(t))

    N, C, H, W = 2, 3, 5, 4
    x = torch.randn(N, C, H, W, generator=g).float()
    x64 = x.double().requires_grad_(True)
    out = x64.mean(dim=(2, 3))
    dy = torch.randn(N, C, generator=g).float()
    (out * dy.double()).sum().backward()
    w.block("gap.cfg", torch.tensor([N, C, H, W], dtype=torch.float64))
    for suffix, t in [("x", x), ("dy", dy), ("out.f64", out), ("dx.f64", x64.grad)]:
        w.block("gap." + suffix, flat(t))

    N, C, H, W = 4, 3, 5, 3
    shift = torch.tensor([2.0, -1.0, 0.0]).reshape(1, C, 1, 1)
    scale = torch.tensor([0.5, 3.0, 1.0]).reshape(1, C, 1, 1)
    x = (torch.randn(N, C, H, W, generator=g) * scale + shift).float()
    gamma = torch.empty(C).uniform_(0.5, 1.5, generator=g).float()
    beta = torch.empty(C).uniform_(-0.5, 0.5, generator=g).float()
    dy = torch.randn(N, C, H, W, generator=g).float()
    xe = (torch.randn(2, C, H, W, generator=g) * scale + shift).float()
    dye = torch.randn(2, C, H, W, generator=g).float()
    bn = torch.nn.BatchNorm2d(C).double()   # momentum 0.1, eps 1e-5: the layer's defaults
    with torch.no_grad():
        bn.weight.copy_(gamma.double())
        bn.bias.copy_(beta.double())
    bn.train()
    x64 = x.double().requires_grad_(True)
    out = bn(x64)
    (out * dy.double()).sum().backward()
    w.block("bn.cfg", torch.tensor([N, C, H, W], dtype=torch.float64))
    for suffix, t in [("x", flat(x)), ("gamma", gamma), ("beta", beta), ("dy", flat(dy)),
                      ("out.f64", flat(out)), ("dx.f64", flat(x64.grad)),
                      ("dgamma.f64", bn.weight.grad), ("dbeta.f64", bn.bias.grad),
                      ("running_mean.f64", bn.running_mean), ("running_var.f64", bn.running_var)]:
        w.block("bn." + suffix, t)
    bn.eval()
    bn.weight.grad = None
    bn.bias.grad = None
    xe64 = xe.double().requires_grad_(True)
    oute = bn(xe64)
    (oute * dye.double()).sum().backward()
    for suffix, t in [("xe", xe), ("dye", dye), ("eval_out.f64", oute),
                      ("eval_dx.f64", xe64.grad)]:
        w.block("bn." + suffix, flat(t))
    w.block("bn.eval_dgamma.f64", bn.weight.grad)
    w.block("bn.eval_dbeta.f64", bn.bias.grad)

    B, V = 7, 5
    logits = (torch.randn(B, V, generator=g) * 2.0).float()
    targets = torch.tensor([0, 3, 3, 1, 4, 2, 3])
    weight = torch.tensor([0.5, 2.0, 1.0, 0.25, 3.0]).float()
    up = torch.empty(()).uniform_(0.5, 2.0, generator=g).float()
    z64 = logits.double().requires_grad_(True)
    loss = F.cross_entropy(z64, targets, weight=weight.double())
    (loss * up.double()).backward()
    for name, t in [("cew.logits", logits), ("cew.targets", targets.double()),
                    ("cew.weight", weight), ("cew.dy", up), ("cew.loss.f64", loss),
                    ("cew.dlogits.f64", z64.grad)]:
        w.block(name, t)
    w.close()


if __name__ == "__main__":
    main()
