#!/usr/bin/env python3
"""scripts/gen_fixtures_ex05.py — PyTorch reference values for chapter 5's exercises 3 and 4
(05_rnn_lstm/exercises/): one LSTM cell step against torch.nn.LSTMCell, a sequence stepped
through the cell against torch.nn.LSTM, and gradient clipping against
torch.nn.utils.clip_grad_norm_.

Run:  /usr/bin/python3 scripts/gen_fixtures_ex05.py     (needs torch; tested with 1.13)
Writes (committed, so grading needs no Python):
  05_rnn_lstm/expected/torch_lstm_clip.txt
It lives in expected/ (not tests/fixtures/) because the exercise driver reads it when the grader
runs it, in the student edition too: everything the grader needs for a chapter is in that
chapter's folder. The driver finds it through EX_CHAPTER_DIR (scripts/grader.c passes it).

Same file format as scripts/gen_fixtures_ch02.py ('#' comments, '@ <name> <dims...>' blocks,
one %.9g value per line, row-major; ".f64" = computed in float64 from the float32 inputs).
Weights are written in PyTorch's own layout, weight_ih (4H, C) and weight_hh (4H, H), rows in
PyTorch's gate order i, f, g, o; the driver transposes them into the exercise's layout
W_ih (C, 4H), W_hh (H, 4H).
"""
import os
import sys

import torch

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures_ch02 import Writer  # noqa: E402  (the one writer for the shared format)

SEED = 2026
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "05_rnn_lstm", "expected", "torch_lstm_clip.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_ex05.py"

# name: (B, C, H) — one step of nn.LSTMCell from a non-zero (h0, c0)
CELLS = {"cell_a": (2, 3, 4), "cell_b": (3, 5, 7)}
# name: (B, T, C, H) — nn.LSTM(batch_first=True), one layer, from a non-zero (h0, c0)
SEQS = {"seq_a": (2, 5, 4, 6)}
# name: (max_norm, shapes of the grads, scale of the values)
CLIPS = {
    "clip_a": (1.0, [(3, 4), (7,), (2, 5)], 1.0),    # total norm ~5 > 1: every grad scaled
    "clip_b": (5.0, [(4, 3), (6,)], 0.3),            # total norm ~1.2 < 5: untouched
}


def lstm_weights(g, C, H, scale):
    """float32 weights in PyTorch's layout, uniform(-scale, scale) (scale 1/sqrt(H) is nn.LSTM's
    init). A larger scale than the default keeps the four gates clearly apart."""
    u = lambda *shape: (torch.rand(shape, generator=g) * 2 - 1).mul(scale).float()  # noqa: E731
    return u(4 * H, C), u(4 * H, H), u(4 * H), u(4 * H)


def main():
    g = torch.Generator().manual_seed(SEED)
    w = Writer(OUT,
               "torch_lstm_clip: chapter 5 exercises 3 (LSTM cell) and 4 (clip_grad_norm_) vs "
               "PyTorch; seed %d; made by: %s (torch %s)" % (SEED, CMD, torch.__version__),
               ["Format: see scripts/gen_fixtures_ch02.py. Blocks:",
                "cell_?.cfg (3) = B C H; .x (B,C) .h0 (B,H) .c0 (B,H) .weight_ih (4H,C) .weight_hh (4H,H)",
                "  .bias_ih (4H) .bias_hh (4H) [PyTorch layout, gate rows i, f, g, o];",
                "  .h1.f64 .c1.f64 = nn.LSTMCell(C, H) (x, (h0, c0)) in float64;",
                "seq_?.cfg (4) = B T C H; .x (B*T, C) (batch first: row b*T + t) .h0 .c0 and weights",
                "  as above; .output.f64 (B*T, H) .h_n.f64 (B,H) .c_n.f64 (B,H) = nn.LSTM(C, H,",
                "  batch_first=True)(x, (h0, c0)): output and (h_n, c_n), in float64;",
                "clip_?.cfg (2) = n_grads max_norm; .g<k> the grads (flat); .norm.f32 and .g<k>.out.f32 =",
                "  torch.nn.utils.clip_grad_norm_(grads, max_norm) in float32: its return value",
                "  (the total norm before clipping) and the grads after it."])
    for name, (B, C, H) in CELLS.items():
        x = torch.randn(B, C, generator=g).float()
        h0 = (torch.rand(B, H, generator=g) * 2 - 1).float()
        c0 = (torch.randn(B, H, generator=g)).float()
        wih, whh, bih, bhh = lstm_weights(g, C, H, 1.0)
        cell = torch.nn.LSTMCell(C, H).double()
        with torch.no_grad():
            cell.weight_ih.copy_(wih)
            cell.weight_hh.copy_(whh)
            cell.bias_ih.copy_(bih)
            cell.bias_hh.copy_(bhh)
            h1, c1 = cell(x.double(), (h0.double(), c0.double()))
        w.block(name + ".cfg", torch.tensor([B, C, H], dtype=torch.float64))
        for k, t in (("x", x), ("h0", h0), ("c0", c0), ("weight_ih", wih), ("weight_hh", whh),
                     ("bias_ih", bih), ("bias_hh", bhh), ("h1.f64", h1), ("c1.f64", c1)):
            w.block(name + "." + k, t)
    for name, (B, T, C, H) in SEQS.items():
        x = torch.randn(B, T, C, generator=g).float()
        h0 = (torch.rand(1, B, H, generator=g) * 2 - 1).float()
        c0 = (torch.randn(1, B, H, generator=g)).float()
        wih, whh, bih, bhh = lstm_weights(g, C, H, 0.6)
        lstm = torch.nn.LSTM(C, H, batch_first=True).double()
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(wih)
            lstm.weight_hh_l0.copy_(whh)
            lstm.bias_ih_l0.copy_(bih)
            lstm.bias_hh_l0.copy_(bhh)
            out, (h_n, c_n) = lstm(x.double(), (h0.double(), c0.double()))
        w.block(name + ".cfg", torch.tensor([B, T, C, H], dtype=torch.float64))
        for k, t in (("x", x.reshape(B * T, C)), ("h0", h0[0]), ("c0", c0[0]), ("weight_ih", wih),
                     ("weight_hh", whh), ("bias_ih", bih), ("bias_hh", bhh),
                     ("output.f64", out.reshape(B * T, H)), ("h_n.f64", h_n[0]), ("c_n.f64", c_n[0])):
            w.block(name + "." + k, t)
    for name, (max_norm, shapes, scale) in CLIPS.items():
        grads = [(torch.randn(s, generator=g) * scale).float() for s in shapes]
        params = [torch.nn.Parameter(torch.zeros(s)) for s in shapes]
        for p, gr in zip(params, grads):
            p.grad = gr.clone()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        w.block(name + ".cfg", torch.tensor([len(shapes), max_norm], dtype=torch.float64))
        for k, gr in enumerate(grads):
            w.block("%s.g%d" % (name, k), gr.reshape(-1))
        w.block(name + ".norm.f32", norm)
        for k, p in enumerate(params):
            w.block("%s.g%d.out.f32" % (name, k), p.grad.reshape(-1))
    w.close()


if __name__ == "__main__":
    main()
