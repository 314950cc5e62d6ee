#!/usr/bin/env python3
"""scripts/gen_fixtures_ex07.py — independent reference values for chapter 7's exercises
(07_transformer/exercises/): one head of scaled dot-product attention, bidirectional and causal,
by PyTorch (float64: softmax(q kᵀ/√d) v with masked_fill(-inf) above the diagonal, as nanoGPT's
CausalSelfAttention); the sinusoidal positional encoding in numpy (float64, Vaswani et al. 2017
§3.5); one byte-pair merge step by a plain-Python transcription of Karpathy's minbpe
(get_stats: pair counts in order of first appearance, max by count — the first-seen pair wins a
tie —, merge: left to right, non-overlapping).

Run:  /usr/bin/python3 scripts/gen_fixtures_ex07.py     (needs numpy and torch 1.13)
Writes (committed, so grading needs no Python):
  07_transformer/expected/references.txt
Same file format as scripts/gen_fixtures_ch02.py ('#' comments, '@ <name> <dims...>' blocks,
one %.9g value per line, row-major; ".f64" = computed in float64 from the float32 inputs).
Blocks:
  attn_?.cfg (2) = T d; .q .k .v (T,d) float32; .P.f64 (T,T) .out.f64 (T,d) bidirectional;
    .Pc.f64 .outc.f64 causal
  pe_?.cfg (2) = T d; .pe.f64 (T,d)
  bpe_?.cfg (2) = n new_id; .ids (n); .pair (2) the merged pair; .out (m) the ids after
"""
import math
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures_ch02 import Writer  # noqa: E402  (the one writer for the shared format)

SEED = 2027
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "07_transformer", "expected", "references.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_ex07.py"

# name: (T, d, scale of q and k): scale 6 makes scores of ±100 and more, where a softmax that
# does not subtract the row's maximum overflows exp() in float32
ATTN = {"attn_a": (4, 3, 1.0), "attn_b": (7, 8, 1.0), "attn_c": (12, 16, 6.0), "attn_d": (1, 5, 1.0)}
PE = {"pe_a": (8, 6), "pe_b": (50, 16), "pe_c": (20, 7), "pe_d": (3, 1)}


def attention(q, k, v, causal):
    T, d = q.shape
    s = (q @ k.T) / math.sqrt(d)
    if causal:
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        s = s.masked_fill(~mask, float("-inf"))
    p = torch.softmax(s, dim=-1)
    return p, p @ v


def pe_table(T, d):
    pe = np.zeros((T, d), dtype=np.float64)
    for pos in range(T):
        for i in range(0, d, 2):
            ang = pos / 10000.0 ** (i / d)
            pe[pos, i] = math.sin(ang)
            if i + 1 < d:
                pe[pos, i + 1] = math.cos(ang)
    return pe


def get_stats(ids):   # minbpe's basic.py
    counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def merge(ids, pair, idx):
    out, i = [], 0
    while i < len(ids):
        if i < len(ids) - 1 and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(idx)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def main():
    g = torch.Generator().manual_seed(SEED)
    w = Writer(OUT,
               "references: chapter 7 exercises 1-2 (attention, torch float64), 3 (sinusoidal "
               "positions, numpy float64), 4 (one BPE merge, minbpe's get_stats/merge); seed %d; "
               "made by: %s (numpy %s, torch %s)" % (SEED, CMD, np.__version__, torch.__version__),
               [l for l in __doc__.split("Blocks:")[1].strip().splitlines()])
    for name, (T, d, scale) in ATTN.items():
        q = (torch.randn(T, d, generator=g) * scale).float()
        k = (torch.randn(T, d, generator=g) * scale).float()
        v = torch.randn(T, d, generator=g).float()
        w.block(name + ".cfg", torch.tensor([T, d], dtype=torch.float64))
        w.block(name + ".q", q)
        w.block(name + ".k", k)
        w.block(name + ".v", v)
        p, o = attention(q.double(), k.double(), v.double(), False)
        w.block(name + ".P.f64", p)
        w.block(name + ".out.f64", o)
        p, o = attention(q.double(), k.double(), v.double(), True)
        w.block(name + ".Pc.f64", p)
        w.block(name + ".outc.f64", o)
    for name, (T, d) in PE.items():
        w.block(name + ".cfg", torch.tensor([T, d], dtype=torch.float64))
        w.block(name + ".pe.f64", torch.from_numpy(pe_table(T, d)))
    cases = [list(b"aaabdaaabac"), list(b"abababab"), list(b"hello world, hello bytes"),
             [1, 2, 3, 1, 2, 3, 4, 2, 3], [5, 5, 5, 5, 5], [7, 8]]
    rng = np.random.default_rng(SEED)
    cases.append([int(x) for x in rng.integers(0, 6, size=200)])
    for k, ids in enumerate(cases):
        stats = get_stats(ids)
        pair = max(stats, key=stats.get)
        new_id = 256 + k
        out = merge(ids, pair, new_id)
        name = "bpe_%d" % k
        w.block(name + ".cfg", torch.tensor([len(ids), new_id], dtype=torch.float64))
        w.block(name + ".ids", torch.tensor(ids, dtype=torch.float64))
        w.block(name + ".pair", torch.tensor(pair, dtype=torch.float64))
        w.block(name + ".out", torch.tensor(out, dtype=torch.float64))
    w.close()


if __name__ == "__main__":
    main()
