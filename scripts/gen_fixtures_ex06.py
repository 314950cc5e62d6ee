#!/usr/bin/env python3
"""scripts/gen_fixtures_ex06.py — independent reference values for chapter 6's exercises 1, 2 and 4
(06_embeddings/exercises/): TF-IDF by the lecture's formulas in numpy (float64), one step of
skip-gram with negative sampling by PyTorch's autograd (float64), and fastText's hashed character
n-grams by gensim (gensim.models.fasttext.ft_ngram_hashes, which reproduces fastText's
Dictionary::computeSubwords and its signed-char FNV-1a hash).

Run:  /usr/bin/python3 scripts/gen_fixtures_ex06.py     (needs numpy, torch 1.13 and gensim 4;
      Debian: python3-torch, python3-gensim)
Writes (committed, so grading needs no Python):
  06_embeddings/expected/references.txt
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

import gensim
import numpy as np
import torch
from gensim.models.fasttext import ft_ngram_hashes
from gensim.models.fasttext_inner import compute_ngrams_bytes

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures_ch02 import Writer  # noqa: E402  (the one writer for the shared format)

SEED = 2026
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "06_embeddings", "expected", "references.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_ex06.py"

TOY = ["the movie was brilliant brilliant",
       "the movie was awful",
       "the plot was not good",
       "a brilliant plot and a brilliant cast"]
# name: (D, K, lr, scale of the vectors)
SGNS = {"sgns_a": (4, 2, 0.025, 0.5), "sgns_b": (10, 5, 0.05, 1.0), "sgns_c": (3, 1, 0.5, 2.0),
        "sgns_d": (16, 8, 0.025, 0.1)}
# (word, minn, maxn, buckets): fastText's defaults 3, 6, 2,000,000; UTF-8 words (bytes >= 0x80
# hash differently with fastText's signed chars); minn = 1 (the lone "<" and ">" are left out).
NGRAMS = [("where", 3, 6, 2000000), ("a", 3, 6, 2000000), ("brilliant", 3, 6, 2000000),
          ("naïve", 3, 6, 2000000), ("of", 1, 2, 2000000), ("x", 1, 3, 1000),
          ("café", 2, 4, 2000000), ("ünïcödé", 3, 5, 1000), ("unbelievable", 3, 6, 2000000),
          ("movie", 3, 6, 10), ("über-cool", 4, 4, 65536)]


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
               "references: chapter 6 exercises 1 (TF-IDF, numpy), 2 (one SGNS step, torch "
               "autograd) and 4 (fastText's n-gram buckets, gensim); seed %d; made by: %s (numpy %s, "
               "torch %s, gensim %s)" % (SEED, CMD, np.__version__, torch.__version__, gensim.__version__),
               ["Format: see scripts/gen_fixtures_ch02.py. Blocks:",
                "tfidf_?.cfg (2) = N V; .counts (N,V) integer counts; .out.f64 (N,V) the L2-normalised",
                "  TF-IDF rows (idf = ln(N/(1+df)) + 1, tf = 1 + ln(count)) in float64;",
                "sgns_?.cfg (3) = D K lr; .v (D) .u_pos (D) .u_neg (K,D) float32 inputs; .loss.f64 and",
                "  .v.out.f64 .u_pos.out.f64 .u_neg.out.f64 = the loss before, the vectors after one",
                "  SGD step (autograd, float64);",
                "ng_?.cfg (3) = minn maxn buckets; .word the UTF-8 bytes of the word; .ids the bucket",
                "  ids of its n-grams in fastText's order (gensim's ft_ngram_hashes)."])
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
    for k, (word, minn, maxn, buckets) in enumerate(NGRAMS):
        ids = ft_ngram_hashes(word, minn, maxn, buckets)
        assert len(ids) == len(compute_ngrams_bytes(word, minn, maxn))
        name = "ng_%d" % k
        w.block(name + ".cfg", torch.tensor([minn, maxn, buckets], dtype=torch.float64))
        w.block(name + ".word", torch.tensor(list(word.encode("utf-8")), dtype=torch.float64))
        w.block(name + ".ids", torch.tensor(ids, dtype=torch.float64))
    w.close()
    print("toy vocabulary:", " ".join(vocab))


if __name__ == "__main__":
    main()
