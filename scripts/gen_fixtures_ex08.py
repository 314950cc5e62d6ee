#!/usr/bin/env python3
"""scripts/gen_fixtures_ex08.py — independent reference values for chapter 8's exercises
(08_scaling/exercises/): a power law fitted in log-log by numpy.polyfit (degree 1 on the natural
logs, float64); the compute-optimal N and D of a Chinchilla law found numerically, by bisection on
the derivative of L(N, C/(6N)) with respect to log N (not Hoffmann's closed form eq. 4, which the
exercise uses); the forward FLOPs of a GPT by enumerating every matrix product of the pass (shapes
M×K·K×N, 2·M·N·K each; causal attention query by query, i+1 keys for query i); the ring
all-reduce by a plain-Python simulation of its messages (lists, not the exercise's arrays) and the
sum by numpy in float64.

Run:  /usr/bin/python3 scripts/gen_fixtures_ex08.py     (needs numpy and torch 1.13, for the writer)
Writes (committed, so grading needs no Python):
  08_scaling/expected/references.txt
Same file format as scripts/gen_fixtures_ch02.py ('#' comments, '@ <name> <dims...>' blocks,
one %.9g value per line, row-major). Inputs are rounded to %.9g before the references are computed
from them, so the driver sees exactly the numbers the references used.
Blocks:
  pl_?.cfg (1) = n; .x .y (n); .e .k numpy's exponent and prefactor (y = k x^e)
  co_?.cfg (5) = A B alpha beta C; .N .D the numerical optimum
  fl_?.cfg (6) = V T L NH C B; .flops the enumerated count
  ar_?.cfg (2) = p n; .g (p,n) float32 gradients; .sum.f64 (n); .bytes (p) bytes each rank sent
"""
import math
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures_ch02 import Writer  # noqa: E402  (the one writer for the shared format)

SEED = 2028
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "08_scaling", "expected", "references.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_ex08.py"


def r9(v):
    return float("%.9g" % v)


def t64(v):
    return torch.tensor(v, dtype=torch.float64)


# ---- ex1: power laws ----
def power_law_cases(rng):
    xa = [float(i) for i in range(1, 11)]
    ya = [r9(2.0 * x ** -0.5) for x in xa]
    xb = [r9(10 ** (6 + 0.5 * i)) for i in range(9)]                  # Kaplan's L(N)
    yb = [r9((8.8e13 / n) ** 0.076) for n in xb]
    xc = [r9(v) for v in np.logspace(17, 22, 20)]                     # a noisy L(C)
    yc = [r9(3.0e2 * c ** -0.05 * math.exp(0.03 * z)) for c, z in zip(xc, rng.standard_normal(20))]
    xd, yd = [3.0, 7.0], [5.0, 1.25]
    return {"pl_a": (xa, ya), "pl_b": (xb, yb), "pl_c": (xc, yc), "pl_d": (xd, yd)}


# ---- ex2: compute-optimal allocation, numerically ----
def optimum(A, B, alpha, beta, C):
    """argmin over N of A/N^alpha + B/D^beta with D = C/(6N): bisection on the derivative in
    u = log N, d/du = -alpha·A·N^-alpha + beta·B·D^-beta, increasing in u."""
    def g(u):
        N = math.exp(u)
        D = C / (6 * N)
        return -alpha * A * N ** -alpha + beta * B * D ** -beta
    lo, hi = math.log(1.0), math.log(C / 6.0)
    assert g(lo) < 0 < g(hi)
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if g(mid) < 0:
            lo = mid
        else:
            hi = mid
    N = math.exp(0.5 * (lo + hi))
    return N, C / (6 * N)


CO = {"co_a": (406.4, 410.7, 0.34, 0.28, 1e21),        # Hoffmann et al.'s fit
      "co_b": (406.4, 410.7, 0.34, 0.28, 5.76e23),      # Gopher's budget
      "co_c": (482.01, 2085.43, 0.3478, 0.3658, 5.76e23),  # Epoch AI's replication
      "co_d": (406.4, 410.7, 0.34, 0.28, 1e25),
      "co_e": (100.0, 100.0, 0.5, 0.5, 6e12)}


# ---- ex3: a GPT's forward FLOPs, one matrix product at a time ----
def gpt_flops(V, T, L, NH, C, B):
    hs = C // NH
    mm = []                                       # (M, K, N): an M×K by K×N product
    for _ in range(L):
        mm.append((B * T, C, 3 * C))              # qkv
        for _b in range(B):
            for _h in range(NH):
                for i in range(T):                # query i against keys 0..i, then P·V
                    mm.append((1, hs, i + 1))
                    mm.append((1, i + 1, hs))
        mm.append((B * T, C, C))                  # attention's output projection
        mm.append((B * T, C, 4 * C))              # MLP up
        mm.append((B * T, 4 * C, C))              # MLP down
    mm.append((B * T, C, V))                      # the tied LM head
    return float(sum(2 * m * k * n for m, k, n in mm))   # Python ints: exact


FL = {"fl_a": (65, 32, 2, 4, 64, 1), "fl_b": (65, 64, 4, 4, 128, 12),
      "fl_c": (50257, 1024, 12, 12, 768, 1),     # GPT-2 small
      "fl_d": (50257, 2048, 8, 8, 1024, 2)}


# ---- ex4: the ring all-reduce, message by message ----
def ring(grads):
    p, n = len(grads), len(grads[0])
    bufs = [list(map(float, g)) for g in grads]
    bounds = [c * n // p for c in range(p + 1)]
    sent = [0] * p
    for phase in ("reduce-scatter", "all-gather"):
        for s in range(p - 1):
            msgs = []
            for r in range(p):
                c = (r - s) % p if phase == "reduce-scatter" else (r + 1 - s) % p
                part = bufs[r][bounds[c]:bounds[c + 1]]
                msgs.append((c, part))
                sent[r] += 4 * len(part)
            for r, (c, part) in enumerate(msgs):
                dst = bufs[(r + 1) % p]
                for j, v in enumerate(part):
                    i = bounds[c] + j
                    dst[i] = dst[i] + v if phase == "reduce-scatter" else v
    return bufs, sent


AR = {"ar_a": (4, 16), "ar_b": (3, 10), "ar_c": (1, 5), "ar_d": (8, 1000), "ar_e": (5, 3)}


def main():
    rng = np.random.default_rng(SEED)
    w = Writer(OUT,
               "references: chapter 8 exercises 1 (numpy.polyfit in log-log), 2 (the optimum by "
               "bisection), 3 (FLOPs by enumerated matrix products), 4 (the ring simulated in "
               "Python, the sum by numpy); seed %d; made by: %s (numpy %s, torch %s)"
               % (SEED, CMD, np.__version__, torch.__version__),
               [l for l in __doc__.split("Blocks:")[1].strip().splitlines()])
    for name, (x, y) in power_law_cases(rng).items():
        e, logk = np.polyfit(np.log(x), np.log(y), 1)
        w.block(name + ".cfg", t64([len(x)]))
        w.block(name + ".x", t64(x))
        w.block(name + ".y", t64(y))
        w.block(name + ".e", t64([e]))
        w.block(name + ".k", t64([math.exp(logk)]))
    for name, cfg in CO.items():
        N, D = optimum(*cfg)
        w.block(name + ".cfg", t64(list(cfg)))
        w.block(name + ".N", t64([N]))
        w.block(name + ".D", t64([D]))
    for name, cfg in FL.items():
        w.block(name + ".cfg", t64(list(cfg)))
        w.block(name + ".flops", t64([gpt_flops(*cfg)]))
    for name, (p, n) in AR.items():
        g = rng.standard_normal((p, n)).astype(np.float32)
        bufs, sent = ring(g.tolist())
        s = g.astype(np.float64).sum(axis=0)
        assert max(abs(bufs[r][i] - s[i]) for r in range(p) for i in range(n)) < 1e-12
        w.block(name + ".cfg", t64([p, n]))
        w.block(name + ".g", torch.from_numpy(g))
        w.block(name + ".sum.f64", torch.from_numpy(s))
        w.block(name + ".bytes", t64(sent))
    w.close()


if __name__ == "__main__":
    main()
