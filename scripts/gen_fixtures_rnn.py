#!/usr/bin/env python3
"""scripts/gen_fixtures_rnn.py — PyTorch reference values for the recurrent layers of
common/ops/recurrent.h and common/nn/recurrent.h (torch.nn.RNN, nn.LSTM, nn.GRU) and for
op_embedding (torch.nn.Embedding).

Run:  /usr/bin/python3 scripts/gen_fixtures_rnn.py     (needs torch; tested with 1.13)
Writes (committed, so the tests need no Python):
  tests/fixtures/rnn_torch.txt

Same file format as scripts/gen_fixtures_ch02.py ('#' comments, '@ <name> <dims...>' blocks,
one %.9g value per line, row-major). Inputs are float32 values; every output and gradient is
computed in float64 from them. For each cell, a 2-layer module with batch_first=True and a given
h0 (and c0 for the LSTM):
  <cell>.cfg                 B T C H L
  <cell>.x (B·T, C)          input, (B, T, C) flat
  <cell>.h0, .c0 (L·B, H)    initial states, (L, B, H) flat
  <cell>.w_ih_l<l> (C_l, G·H), .w_hh_l<l> (H, G·H), .b_ih_l<l>, .b_hh_l<l> (G·H)
                             weights in OUR layout: torch's weight_ih_l<l> (G·H, C_l) transposed
  <cell>.R (B·T, H)          fixed random weights of the loss = sum(output ⊙ R)
  <cell>.out (B·T, H), .h_n, .c_n (L·B, H)
  <cell>.grad.x, .grad.h0, .grad.c0, .grad.<weight name>   gradients of the loss (transposed
                             like the weights)
Embedding: emb.cfg (V D N), emb.table (V, D), emb.tokens (N), emb.R (N, D), emb.out (N, D),
emb.grad.table (V, D) for loss = sum(embedding(tokens) ⊙ R), tokens with repeats.
counts (n, 5): rows (cell 0 rnn / 1 lstm / 2 gru, C, H, L, parameters of the torch module).
"""
import os
import sys

import torch
import torch.nn as nn

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures_ch02 import Writer  # noqa: E402  (the one writer for the shared format)

SEED = 2026
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "rnn_torch.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_rnn.py"

B, T, C, H, L = 3, 5, 4, 7, 2
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def f32(t):
    """Round to float32 (the values our tests load), then back to float64 for the math."""
    return t.float().double()


def cell_fixture(w, g, name):
    mod = CELLS[name](C, H, num_layers=L, batch_first=True).double()
    with torch.no_grad():
        for p in mod.parameters():
            p.copy_(f32(torch.empty(p.shape).uniform_(-0.6, 0.6, generator=g)))
    x = f32(torch.randn(B, T, C, generator=g)).requires_grad_(True)
    h0 = f32(0.5 * torch.randn(L, B, H, generator=g)).requires_grad_(True)
    c0 = f32(0.5 * torch.randn(L, B, H, generator=g)).requires_grad_(True)
    R = f32(torch.randn(B, T, H, generator=g))
    if name == "lstm":
        out, (h_n, c_n) = mod(x, (h0, c0))
    else:
        out, h_n = mod(x, h0)
    (out * R).sum().backward()
    w.block(name + ".cfg", torch.tensor([B, T, C, H, L], dtype=torch.float64))
    w.block(name + ".x", x.reshape(B * T, C))
    w.block(name + ".h0", h0.reshape(L * B, H))
    if name == "lstm":
        w.block(name + ".c0", c0.reshape(L * B, H))
    for l in range(L):
        for ours, theirs in (("w_ih", "weight_ih"), ("w_hh", "weight_hh"), ("b_ih", "bias_ih"),
                             ("b_hh", "bias_hh")):
            p = getattr(mod, "%s_l%d" % (theirs, l))
            pn = "%s_l%d" % (ours, l)
            w.block(name + "." + pn, p.t() if p.dim() == 2 else p)
            w.block(name + ".grad." + pn, p.grad.t() if p.dim() == 2 else p.grad)
    w.block(name + ".R", R.reshape(B * T, H))
    w.block(name + ".out", out.reshape(B * T, H))
    w.block(name + ".h_n", h_n.reshape(L * B, H))
    if name == "lstm":
        w.block(name + ".c_n", c_n.reshape(L * B, H))
        w.block(name + ".grad.c0", c0.grad.reshape(L * B, H))
    w.block(name + ".grad.x", x.grad.reshape(B * T, C))
    w.block(name + ".grad.h0", h0.grad.reshape(L * B, H))


def embedding_fixture(w, g):
    V, D, N = 7, 5, 9
    emb = nn.Embedding(V, D).double()
    with torch.no_grad():
        emb.weight.copy_(f32(torch.randn(V, D, generator=g)))
    tokens = torch.tensor([3, 0, 6, 3, 2, 3, 5, 0, 1])      # 3 three times, 0 twice, 4 never
    R = f32(torch.randn(N, D, generator=g))
    out = emb(tokens)
    (out * R).sum().backward()
    w.block("emb.cfg", torch.tensor([V, D, N], dtype=torch.float64))
    w.block("emb.table", emb.weight)
    w.block("emb.tokens", tokens.double())
    w.block("emb.R", R)
    w.block("emb.out", out)
    w.block("emb.grad.table", emb.weight.grad)


# (cell, C, H, L): parameter counts of real torch modules (the lecture's 1 : 3 : 4, and
# Zaremba et al.'s small LSTM).
COUNTS = [("rnn", 10, 20, 1), ("gru", 10, 20, 1), ("lstm", 10, 20, 1), ("lstm", 200, 200, 2),
          ("gru", 3, 5, 3)]


def count_fixture(w):
    rows = []
    for name, c, h, l in COUNTS:
        n = sum(p.numel() for p in CELLS[name](c, h, num_layers=l).parameters())
        rows.append([list(CELLS).index(name), c, h, l, n])
    w.block("counts", torch.tensor(rows, dtype=torch.float64))


def main():
    g = torch.Generator().manual_seed(SEED)
    w = Writer(OUT, "PyTorch %s reference values for tests/test_recurrent.c" % torch.__version__,
               ["made by: " + CMD, "nn.RNN / nn.LSTM / nn.GRU (num_layers=%d, batch_first=True) "
                "and nn.Embedding, float64 from float32 inputs" % L,
                "weights and their grads transposed into our layout (C_l, G·H)"])
    for name in CELLS:
        cell_fixture(w, g, name)
    embedding_fixture(w, g)
    count_fixture(w)
    w.close()


if __name__ == "__main__":
    main()
