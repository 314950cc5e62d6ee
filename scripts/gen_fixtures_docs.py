#!/usr/bin/env python3
"""scripts/gen_fixtures_docs.py — PyTorch reference values for the ops of chapter 6's document
models: op_embedding_mean (torch.nn.EmbeddingBag, mode="mean"), op_embedding_padded
(torch.nn.Embedding with padding_idx), op_global_maxpool (max over time) and the text-CNN block
they make with op_conv2d (Kim 2014: a (k, D) filter over the (T, D) sentence matrix, ReLU,
max over time).

Run:  /usr/bin/python3 scripts/gen_fixtures_docs.py     (needs torch; tested with 1.13)
Writes (committed, so the tests need no Python):
  tests/fixtures/docs_torch.txt

Same file format as scripts/gen_fixtures_ch02.py. Inputs are float32 values; outputs and
gradients are computed in float64 from them; every loss is sum(output ⊙ R) with a fixed random R.
  bag.cfg (V D B T); bag.table (V, D); bag.tokens (B, T) with -1 padding (row 2 all padding);
  bag.R (B, D); bag.out (B, D); bag.grad.table (V, D)
  pad.cfg (V D N); pad.table (V, D); pad.tokens (N) with -1; pad.R (N, D); pad.out; pad.grad.table
  gmp.x (B·C, H·W) for x (2, 3, 5, 1); gmp.R (B, C); gmp.out (B, C); gmp.grad.x
  cnn.cfg (V D B T C_out K); cnn.table; cnn.tokens (B, T) with -1 padding; cnn.w (C_out, K·D)
  for the weight (C_out, 1, K, D); cnn.b (C_out); cnn.R (B, C_out); cnn.out (B, C_out);
  cnn.grad.table, cnn.grad.w, cnn.grad.b
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures_ch02 import Writer  # noqa: E402  (the one writer for the shared format)

SEED = 2026
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "docs_torch.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_docs.py"


def f32(t):
    """Round to float32 (the values our tests load), then back to float64 for the math."""
    return t.float().double()


def padded_tokens(g, V, B, T):
    tok = torch.randint(0, V, (B, T), generator=g)
    tok[0, T - 2:] = -1          # a short row
    tok[1, 1] = -1               # padding in the middle is padding too
    if B > 2:
        tok[2, :] = -1           # an empty row
    return tok


def bag_fixture(w, g):
    V, D, B, T = 7, 4, 4, 5
    table = f32(torch.randn(V, D, generator=g)).requires_grad_(True)
    tok = padded_tokens(g, V, B, T)
    flat, offsets = [], []
    for b in range(B):
        offsets.append(len(flat))
        flat += [int(t) for t in tok[b] if t >= 0]
    bag = F.embedding_bag(torch.tensor(flat, dtype=torch.long), table,
                          torch.tensor(offsets, dtype=torch.long), mode="mean")
    R = f32(torch.randn(B, D, generator=g))
    (bag * R).sum().backward()
    w.block("bag.cfg", torch.tensor([V, D, B, T], dtype=torch.float64))
    w.block("bag.table", table)
    w.block("bag.tokens", tok.double())
    w.block("bag.R", R)
    w.block("bag.out", bag)
    w.block("bag.grad.table", table.grad)


def pad_fixture(w, g):
    V, D, N = 6, 3, 9
    table = f32(torch.randn(V, D, generator=g))
    full = torch.cat([table, torch.zeros(1, D, dtype=torch.float64)]).requires_grad_(True)
    tok = torch.randint(0, V, (N,), generator=g)
    tok[2] = -1
    tok[7] = -1
    idx = torch.where(tok < 0, torch.full_like(tok, V), tok)
    out = F.embedding(idx, full, padding_idx=V)
    R = f32(torch.randn(N, D, generator=g))
    (out * R).sum().backward()
    w.block("pad.cfg", torch.tensor([V, D, N], dtype=torch.float64))
    w.block("pad.table", table)
    w.block("pad.tokens", tok.double())
    w.block("pad.R", R)
    w.block("pad.out", out)
    w.block("pad.grad.table", full.grad[:V])


def gmp_fixture(w, g):
    B, C, H, W = 2, 3, 5, 1
    x = f32(torch.randperm(B * C * H * W, generator=g).double().reshape(B, C, H, W) * 0.05 - 0.7)
    x.requires_grad_(True)
    out = F.adaptive_max_pool2d(x, 1).reshape(B, C)
    R = f32(torch.randn(B, C, generator=g))
    (out * R).sum().backward()
    w.block("gmp.x", x.reshape(B * C, H * W))
    w.block("gmp.R", R)
    w.block("gmp.out", out)
    w.block("gmp.grad.x", x.grad.reshape(B * C, H * W))


def cnn_fixture(w, g):
    V, D, B, T, C_out, K = 9, 5, 3, 7, 4, 3
    table = f32(torch.randn(V, D, generator=g))
    full = torch.cat([table, torch.zeros(1, D, dtype=torch.float64)]).requires_grad_(True)
    tok = padded_tokens(g, V, B, T)
    tok[2, :4] = torch.randint(0, V, (4,), generator=g)      # no empty row here: 4 words
    idx = torch.where(tok < 0, torch.full_like(tok, V), tok)
    emb = F.embedding(idx, full, padding_idx=V)                  # (B, T, D)
    wt = f32(0.4 * torch.randn(C_out, 1, K, D, generator=g)).requires_grad_(True)
    bias = f32(0.1 * torch.randn(C_out, generator=g)).requires_grad_(True)
    y = F.conv2d(emb.unsqueeze(1), wt, bias)                    # (B, C_out, T-K+1, 1)
    out = F.adaptive_max_pool2d(F.relu(y), 1).reshape(B, C_out)
    R = f32(torch.randn(B, C_out, generator=g))
    (out * R).sum().backward()
    w.block("cnn.cfg", torch.tensor([V, D, B, T, C_out, K], dtype=torch.float64))
    w.block("cnn.table", table)
    w.block("cnn.tokens", tok.double())
    w.block("cnn.w", wt.reshape(C_out, K * D))
    w.block("cnn.b", bias)
    w.block("cnn.R", R)
    w.block("cnn.out", out)
    w.block("cnn.grad.table", full.grad[:V])
    w.block("cnn.grad.w", wt.grad.reshape(C_out, K * D))
    w.block("cnn.grad.b", bias.grad)


def main():
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    w = Writer(OUT, "Chapter 6 document-model ops vs PyTorch %s (written by %s)"
               % (torch.__version__, CMD),
               ["embedding_bag mean, embedding with padding, global max pool, a text-CNN block;",
                "see the docstring of scripts/gen_fixtures_docs.py for every block."])
    bag_fixture(w, g)
    pad_fixture(w, g)
    gmp_fixture(w, g)
    cnn_fixture(w, g)
    w.close()


if __name__ == "__main__":
    main()
