#!/usr/bin/env python3
"""scripts/gen_fixtures_ex06.py — independent reference values for chapter 6's exercises 1 and 2
(06_embeddings/exercises/): TF-IDF by the lecture's formulas in numpy (float64), and one step of
skip-gram with negative sampling by PyTorch's autograd (float64).

Run:  /usr/bin/python3 scripts/gen_fixtures_ex06.py     (needs numpy and torch; tested with 1.13)
Writes (committed, so grading needs no Python):
  06_embeddings/expected/torch_sgns_tfidf.txt
It lives in expected/ because the exercise driver reads it when the grader runs it (the student
edition too); the driver finds it through EX_CHAPTER_DIR.

TF-IDF (the lecture's, NOT scikit-learn's smooth_idf = ln((1 + N) / (1 + df)) + 1):
  idf = ln(N / (1 + df)) + 1, tf = 1 + ln(count) for count > 0 (sublinear), rows L2-normalised.
Skip-gram negative sampling (Mikolov et al. 2013):
  loss = -ln sigmoid(u_pos . v) - sum_k ln sigmoid(-u_neg[k] . v); every parameter minus lr times
  its gradient (torch.autograd.grad at the old values).
Same file format as scripts/gen_fixtures_ch02.py ('#' comments, '@ <name> <dims...>' blocks, one
%.9g value per line, row-major; ".f64" = computed in float64 from the float32 inputs).
"""
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures_ch02 import Writer  # noqa: E402  (the one writer for the shared format)

SEED = 2026
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "06_embeddings", "expected", "torch_sgns_tfidf.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_ex06.py"

TOY = ["the movie was brilliant brilliant",
       "the movie was awful",
       "the plot was not good",
       "a brilliant plot and a brilliant cast"]
# name: (D, K, lr, scale of the vectors)
SGNS = {"sgns_a": (4, 2, 0.025, 0.5), "sgns_b": (10, 5, 0.05, 1.0), "sgns_c": (3, 1, 0.5, 2.0),
        "sgns_d": (16, 8, 0.025, 0.1)}


def tfidf(counts):
    counts = np.asarray(counts, dtype=np.float64)
    N = counts.shape[0]
    df = (counts > 0).sum(axis=0)
    idf = np.log(N / (1.0 + df)) + 1.0
    tf = np.where(counts > 0, 1.0 + np.log(np.where(counts > 0, counts, 1.0)), 0.0)
    w = tf * idf
    norm = np.sqrt((w * w).sum(axis=1, keepdims=True))
    return np.where(norm > 0, w / np.where(norm > 0, norm, 1.0), 0.0)


def main():
    g = torch.Generator().manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    w = Writer(OUT,
               "torch_sgns_tfidf: chapter 6 exercises 1 (TF-IDF, numpy) and 2 (one SGNS step, torch "
               "autograd); seed %d; made by: %s (numpy %s, torch %s)"
               % (SEED, CMD, np.__version__, torch.__version__),
               ["Format: see scripts/gen_fixtures_ch02.py. Blocks:",
                "tfidf_?.cfg (2) = N V; .counts (N,V) integer counts; .out.f64 (N,V) the L2-normalised",
                "  TF-IDF rows (idf = ln(N/(1+df)) + 1, tf = 1 + ln(count)) in float64;",
                "sgns_?.cfg (3) = D K lr; .v (D) .u_pos (D) .u_neg (K,D) float32 inputs; .loss.f64 and",
                "  .v.out.f64 .u_pos.out.f64 .u_neg.out.f64 = the loss before, the vectors after one",
                "  SGD step (autograd, float64)."])
    # the toy corpus of the exercise sheet: white-space words, the vocabulary sorted
    vocab = sorted({t for d in TOY for t in d.split()})
    toy = [[d.split().count(t) for t in vocab] for d in TOY]
    # a random one: a word in every document (df = N), a word in none, an empty document
    rnd = rng.integers(0, 6, size=(6, 10)) * (rng.random((6, 10)) < 0.5)
    rnd[:, 3] = rng.integers(1, 4, size=6)
    rnd[:, 7] = 0
    rnd[4, :] = 0
    for name, counts in (("tfidf_toy", toy), ("tfidf_rand", rnd)):
        c = np.asarray(counts, dtype=np.float64)
        w.block(name + ".cfg", torch.tensor([c.shape[0], c.shape[1]], dtype=torch.float64))
        w.block(name + ".counts", torch.from_numpy(c))
        w.block(name + ".out.f64", torch.from_numpy(tfidf(c)))
    for name, (D, K, lr, scale) in SGNS.items():
        v = ((torch.rand(D, generator=g) * 2 - 1) * scale).float()
        up = ((torch.rand(D, generator=g) * 2 - 1) * scale).float()
        un = ((torch.rand(K, D, generator=g) * 2 - 1) * scale).float()
        lr32 = float(np.float32(lr))
        pv, pp, pn = (t.double().clone().requires_grad_(True) for t in (v, up, un))
        loss = -torch.nn.functional.logsigmoid(pp @ pv) - torch.nn.functional.logsigmoid(-(pn @ pv)).sum()
        gv, gp, gn = torch.autograd.grad(loss, (pv, pp, pn))
        w.block(name + ".cfg", torch.tensor([D, K, lr32], dtype=torch.float64))
        w.block(name + ".v", v)
        w.block(name + ".u_pos", up)
        w.block(name + ".u_neg", un)
        w.block(name + ".loss.f64", loss.detach().reshape(1))
        w.block(name + ".v.out.f64", pv.detach() - lr32 * gv)
        w.block(name + ".u_pos.out.f64", pp.detach() - lr32 * gp)
        w.block(name + ".u_neg.out.f64", pn.detach() - lr32 * gn)
    w.close()
    print("toy vocabulary:", " ".join(vocab))


if __name__ == "__main__":
    main()
