#!/usr/bin/env python3
"""scripts/gen_fixtures_gpt.py — the whole-model reference for common/nn/transformer.h: a tiny
nanoGPT (Karpathy, nanoGPT model.py: pre-LN blocks, fused c_attn, causal attention, GELU exact,
LayerNorm eps 1e-5, final ln_f, lm_head tied to wte), as llm.c's test_gpt2 checks GPT-2.

Run:  /usr/bin/python3 scripts/gen_fixtures_gpt.py     (needs torch; tested with 1.13)
Writes (committed, so the tests need no Python):
  tests/fixtures/gpt_torch.txt

Same file format as scripts/gen_fixtures_ch02.py ('#' comments, '@ <name> <dims...>' blocks,
one %.9g value per line, row-major). Two cases, <c> = "b" (bias=True) and "nb" (bias=False),
each V 11, T 8, L 2, NH 2, C 16 with:
  <c>.cfg                  V T L NH C bias
  <c>.p.<name>             every parameter in state_dict order under the C names (nanoGPT's
                           without "transformer."): wte.weight (V, C), wpe.weight (T, C),
                           h.<l>.ln_1.weight, h.<l>.attn.c_attn.weight (C, 3C) … ln_f.weight;
                           Linear weights in OUR layout (in, out): torch's (out, in) transposed
  <c>.tokens, <c>.targets  (B·T) one batch, B 2, T 8
  <c>.logits (B·T, V), <c>.loss (mean cross-entropy), <c>.g.<name> every parameter's gradient
  <c>.losses (10)          the loss at each of 10 AdamW steps on that batch (step 0: before any
                           update): lr 1e-3, betas (0.9, 0.99), eps 1e-8, weight_decay 0.1 on
                           parameters with ndim >= 2 only (nanoGPT's configure_optimizers)
The weights are float32 values (what the C test loads), drawn larger than nanoGPT's N(0, 0.02)
(std 0.2, LayerNorm γ = 1 + N(0, 0.1), β and biases N(0, 0.1)) so that every gradient is well
away from zero. Logits, loss and gradients are computed in float64 from them; the 10 steps run
in float32, as a training run does.
Also counts (2): the parameters of GPT-2 small (nanoGPT's GPT, V 50257, T 1024, L 12, C 768,
bias) and of BERT-base (Hugging Face's BertModel layout), built from torch modules on the meta
device (no memory).
"""
import math
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
OUT = os.path.join(ROOT, "tests", "fixtures", "gpt_torch.txt")
CMD = "/usr/bin/python3 scripts/gen_fixtures_gpt.py"

V, T, L, NH, C, B = 11, 8, 2, 2, 16, 2
STEPS = 10


class LayerNorm(nn.Module):
    """nanoGPT's LayerNorm with an optional bias (F.layer_norm, eps 1e-5)."""
    def __init__(self, n, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class Attn(nn.Module):
    def __init__(self, bias):
        super().__init__()
        self.c_attn = nn.Linear(C, 3 * C, bias=bias)
        self.c_proj = nn.Linear(C, C, bias=bias)
        self.register_buffer("mask", torch.tril(torch.ones(T, T)).view(1, 1, T, T))

    def forward(self, x):
        b, t, c = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        k = k.view(b, t, NH, c // NH).transpose(1, 2)
        q = q.view(b, t, NH, c // NH).transpose(1, 2)
        v = v.view(b, t, NH, c // NH).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.c_proj(y)


class Mlp(nn.Module):
    def __init__(self, bias):
        super().__init__()
        self.c_fc = nn.Linear(C, 4 * C, bias=bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * C, C, bias=bias)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, bias):
        super().__init__()
        self.ln_1 = LayerNorm(C, bias)
        self.attn = Attn(bias)
        self.ln_2 = LayerNorm(C, bias)
        self.mlp = Mlp(bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, bias):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(V, C), wpe=nn.Embedding(T, C),
            h=nn.ModuleList([Block(bias) for _ in range(L)]), ln_f=LayerNorm(C, bias)))
        self.lm_head = nn.Linear(C, V, bias=False)
        self.transformer.wte.weight = self.lm_head.weight   # tied (Press & Wolf 2017)

    def forward(self, idx, targets):
        t = idx.size(1)
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for blk in self.transformer.h:
            x = blk(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss


def c_name(n):
    return n[len("transformer."):] if n.startswith("transformer.") else n


def ours(name, t):
    """Our layout: Linear weights (in, out), i.e. torch's (out, in) transposed."""
    if name.endswith(".weight") and t.dim() == 2 and not name.startswith(("wte", "wpe")):
        return t.t()
    return t


def case(w, g, tag, bias):
    model = Gpt(bias)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("ln_1.weight") or n.endswith("ln_2.weight") or n.endswith("ln_f.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
    tokens = torch.randint(0, V, (B, T), generator=g)
    targets = torch.randint(0, V, (B, T), generator=g)
    w.block(tag + ".cfg", torch.tensor([V, T, L, NH, C, int(bias)], dtype=torch.float64))
    for n, p in model.named_parameters():
        w.block("%s.p.%s" % (tag, c_name(n)), ours(c_name(n), p))
    w.block(tag + ".tokens", tokens.reshape(-1).double())
    w.block(tag + ".targets", targets.reshape(-1).double())

    m64 = Gpt(bias).double()
    m64.load_state_dict(model.state_dict())
    logits, loss = m64(tokens, targets)
    loss.backward()
    w.block(tag + ".logits", logits.reshape(B * T, V))
    w.block(tag + ".loss", loss.reshape(()))
    for n, p in m64.named_parameters():
        w.block("%s.g.%s" % (tag, c_name(n)), ours(c_name(n), p.grad))

    # nanoGPT's configure_optimizers: decay the >= 2-D parameters only
    params = [p for _, p in model.named_parameters()]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99), eps=1e-8)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        _, l = model(tokens, targets)
        l.backward()
        opt.step()
        losses.append(l.item())
    w.block(tag + ".losses", torch.tensor(losses, dtype=torch.float64))
    print("%s: loss %.6f, after %d AdamW steps %.6f" % (tag, loss.item(), STEPS, losses[-1]))


def count(module):
    return sum(p.numel() for p in module.parameters())


def gpt2_small_count():
    """nanoGPT's GPT with GPT-2 small's configuration (V 50257, T 1024, L 12, NH 12, C 768, bias),
    built on the meta device (shapes only, no memory); the tied lm_head counted once."""
    Cg, Lg, dev = 768, 12, "meta"
    def block():
        return nn.ModuleDict(dict(
            ln_1=nn.LayerNorm(Cg, device=dev), ln_2=nn.LayerNorm(Cg, device=dev),
            c_attn=nn.Linear(Cg, 3 * Cg, device=dev), c_proj=nn.Linear(Cg, Cg, device=dev),
            c_fc=nn.Linear(Cg, 4 * Cg, device=dev), mlp_proj=nn.Linear(4 * Cg, Cg, device=dev)))
    m = nn.ModuleDict(dict(wte=nn.Embedding(50257, Cg, device=dev),
                           wpe=nn.Embedding(1024, Cg, device=dev),
                           h=nn.ModuleList([block() for _ in range(Lg)]),
                           ln_f=nn.LayerNorm(Cg, device=dev)))
    return count(m)


def bert_base_count():
    """Hugging Face's BertModel (bert-base-uncased: V 30522, 512 positions, 2 token types, L 12,
    C 768, intermediate 3072, the pooler) module by module on the meta device: embeddings
    (word, position, token_type, LayerNorm), per layer attention.self.{query,key,value},
    attention.output.{dense,LayerNorm}, intermediate.dense, output.{dense,LayerNorm}; pooler.dense."""
    Cb, dev = 768, "meta"
    def layer():
        return nn.ModuleDict(dict(
            query=nn.Linear(Cb, Cb, device=dev), key=nn.Linear(Cb, Cb, device=dev),
            value=nn.Linear(Cb, Cb, device=dev), attn_out=nn.Linear(Cb, Cb, device=dev),
            attn_ln=nn.LayerNorm(Cb, device=dev), inter=nn.Linear(Cb, 3072, device=dev),
            out=nn.Linear(3072, Cb, device=dev), out_ln=nn.LayerNorm(Cb, device=dev)))
    m = nn.ModuleDict(dict(word=nn.Embedding(30522, Cb, device=dev),
                           pos=nn.Embedding(512, Cb, device=dev),
                           tt=nn.Embedding(2, Cb, device=dev), ln=nn.LayerNorm(Cb, device=dev),
                           layers=nn.ModuleList([layer() for _ in range(12)]),
                           pooler=nn.Linear(Cb, Cb, device=dev)))
    return count(m)


def main():
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    w = Writer(OUT, "generated by %s (torch %s) — do not edit" % (CMD, torch.__version__),
               ["a tiny nanoGPT (V %d, T %d, L %d, NH %d, C %d, B %d): weights, logits, loss,"
                % (V, T, L, NH, C, B),
                "every gradient, 10 AdamW losses; see the script's docstring"])
    case(w, g, "b", True)
    case(w, g, "nb", False)
    counts = [gpt2_small_count(), bert_base_count()]
    w.block("counts", torch.tensor(counts, dtype=torch.float64))
    print("parameter counts: GPT-2 small %d, BERT-base %d" % tuple(counts))
    w.close()


if __name__ == "__main__":
    main()
