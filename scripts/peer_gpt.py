#!/usr/bin/env python3
"""scripts/peer_gpt.py — PyTorch's speed on nanoGPT's model, the peer of chapter 7's --bench.

The model is nanoGPT's model.py (Karpathy, github.com/karpathy/nanoGPT, 2023) copied layer by
layer: token + learned position embeddings, L pre-LN blocks (LayerNorm without bias → c_attn
C → 3C → causal self-attention → c_proj; LayerNorm → c_fc C → 4C → GELU (exact erf) → c_proj),
ln_f, lm_head tied to wte; bias=False, dropout 0; weights N(0, 0.02²), the c_proj weights
N(0, (0.02/√(2L))²). Torch 1.13 has no F.scaled_dot_product_attention, so the attention is
nanoGPT's own "slow" path: att = q·kᵀ/√HS, masked_fill(-inf) with the causal mask, softmax, ·v.
Configuration: nanoGPT's CPU run of shakespeare_char (README: L 4, NH 4, C 128, T 64, B 12),
V 65 (the characters of tiny Shakespeare); the data are random tokens (fixed seed): the data do
not change the work.

Measures (--what):
  train  tokens/s of training steps: forward with targets (cross-entropy), backward,
         clip_grad_norm_(1.0), AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on the ≥2-D
         parameters only, as nanoGPT's configure_optimizers), zero_grad. W warm-up steps are
         not timed; S steps are timed in 3 consecutive windows and the fastest window counts
         (the rule of chapters 5 and 7's C figures). tokens = steps·B·T.
  gen    tokens/s generating at batch 1 under torch.no_grad(), sampling from the softmax
         (torch.multinomial, temperature 1, as nanoGPT's generate): rounds of T−1 new tokens
         from a 1-token prompt (so the context never needs cropping and a KV cache never
         overflows the T learned positions), two ways:
           nocache  nanoGPT's generate(): a whole forward over the (cropped) prefix per token,
                    logits of the last position only;
           cache    the same model with a simple KV cache: each step feeds one token, appends
                    its k and v per layer (torch.cat) and attends to all cached ones.
         Both produce the same tokens from the same seed (checked: gen_same=1).

--threads T: the best split of T threads between PyTorch's OpenMP pool and OpenBLAS's
(scripts/peer_threads.py; one child process per split, the fastest kept).

Chapter 7 calls it as   /usr/bin/python3 scripts/peer_gpt.py --threads 1
Without torch it prints a notice on stderr and exits with status 3 (the chapter skips the peer).
Output (stdout): key=value lines, one per figure:
  train_tokens_per_s=… gen_nocache_tokens_per_s=… gen_cache_tokens_per_s=… gen_same=1 …
"""
import argparse
import math
import os
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_threads  # noqa: E402  (scripts/peer_threads.py)

EXIT_NO_TORCH = peer_threads.EXIT_NO_TORCH
positive_int = peer_threads.positive_int   # argparse type: an integer >= 1


def build(torch, V, T, L, NH, C):
    """nanoGPT's GPT (model.py), bias=False, dropout 0, tied head."""
    from torch import nn
    import torch.nn.functional as F

    class LayerNorm(nn.Module):
        def __init__(self, ndim, bias):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(ndim))
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

        def forward(self, x):
            return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(C, 3 * C, bias=False)
            self.c_proj = nn.Linear(C, C, bias=False)
            self.register_buffer("bias", torch.tril(torch.ones(T, T)).view(1, 1, T, T))

        def forward(self, x, cache=None):
            B, t, _ = x.size()
            q, k, v = self.c_attn(x).split(C, dim=2)
            k = k.view(B, t, NH, C // NH).transpose(1, 2)
            q = q.view(B, t, NH, C // NH).transpose(1, 2)
            v = v.view(B, t, NH, C // NH).transpose(1, 2)
            if cache is not None:           # the KV-cache path: t new positions after n cached
                if cache[0] is not None:
                    k = torch.cat([cache[0], k], dim=2)
                    v = torch.cat([cache[1], v], dim=2)
                cache[0], cache[1] = k, v
            n = k.size(2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, n - t:n, :n] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, t, C)
            return self.c_proj(y)

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = nn.Linear(C, 4 * C, bias=False)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * C, C, bias=False)

        def forward(self, x):
            return self.c_proj(self.gelu(self.c_fc(x)))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = LayerNorm(C, bias=False)
            self.attn = CausalSelfAttention()
            self.ln_2 = LayerNorm(C, bias=False)
            self.mlp = MLP()

        def forward(self, x, cache=None):
            x = x + self.attn(self.ln_1(x), cache)
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(V, C), wpe=nn.Embedding(T, C),
                h=nn.ModuleList([Block() for _ in range(L)]), ln_f=LayerNorm(C, bias=False)))
            self.lm_head = nn.Linear(C, V, bias=False)
            self.transformer.wte.weight = self.lm_head.weight   # weight tying
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith("c_proj.weight"):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * L))

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None, caches=None, start=0):
            t = idx.size(1)
            pos = torch.arange(start, start + t, dtype=torch.long)
            x = self.transformer.wte(idx) + self.transformer.wpe(pos)
            for i, block in enumerate(self.transformer.h):
                x = block(x, None if caches is None else caches[i])
            x = self.transformer.ln_f(x)
            if targets is not None:
                logits = self.lm_head(x)
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                       ignore_index=-1)
                return logits, loss
            return self.lm_head(x[:, [-1], :]), None

        def configure_optimizers(self, weight_decay, learning_rate, betas):
            params = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
            decay = [p for p in params.values() if p.dim() >= 2]
            nodecay = [p for p in params.values() if p.dim() < 2]
            groups = [{"params": decay, "weight_decay": weight_decay},
                      {"params": nodecay, "weight_decay": 0.0}]
            return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0):
            """nanoGPT's generate (top_k None)."""
            for _ in range(max_new_tokens):
                idx_cond = idx if idx.size(1) <= T else idx[:, -T:]
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

        @torch.no_grad()
        def generate_cached(self, idx, max_new_tokens, temperature=1.0):
            """The same samples with a KV cache: the prompt once, then one token per step."""
            caches = [[None, None] for _ in range(L)]
            logits, _ = self(idx, caches=caches, start=0)
            n = idx.size(1)
            out = [idx]
            for i in range(max_new_tokens):
                probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1)
                out.append(idx_next)
                if i + 1 < max_new_tokens:
                    logits, _ = self(idx_next, caches=caches, start=n)
                    n += 1
            return torch.cat(out, dim=1)

    return GPT()


def main():
    ap = argparse.ArgumentParser(description="PyTorch's training and generation speed on "
                                             "nanoGPT's model (CPU configuration).")
    ap.add_argument("--threads", type=positive_int, default=1,
                    help="threads in all: the best split between OpenMP and OpenBLAS (default 1)")
    ap.add_argument("--what", choices=["train", "gen", "both"], default="both",
                    help="what to measure (default both)")
    ap.add_argument("--steps", type=positive_int, default=60, help="timed training steps (60)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed training steps first (5)")
    ap.add_argument("--windows", type=positive_int, default=3,
                    help="timed steps in this many windows; the fastest counts (3)")
    ap.add_argument("--rounds", type=positive_int, default=4,
                    help="generation rounds of T-1 tokens, each way (4)")
    ap.add_argument("--layers", type=positive_int, default=4)
    ap.add_argument("--heads", type=positive_int, default=4)
    ap.add_argument("--width", type=positive_int, default=128)
    ap.add_argument("--context", type=positive_int, default=64)
    ap.add_argument("--batch", type=positive_int, default=12)
    ap.add_argument("--vocab", type=positive_int, default=65)
    peer_threads.add_child_args(ap)
    args = ap.parse_args()
    if args.warmup < 0:
        ap.error(f"--warmup expects an integer >= 0, got {args.warmup}")
    if args.width % args.heads:
        ap.error(f"--heads {args.heads} does not divide --width {args.width}")

    split = peer_threads.child_split(args)
    if split is None:   # the parent: one child per split and measurement, report the best
        base = ["--steps", str(args.steps), "--warmup", str(args.warmup),
                "--windows", str(args.windows), "--rounds", str(args.rounds),
                "--layers", str(args.layers), "--heads", str(args.heads),
                "--width", str(args.width), "--context", str(args.context),
                "--batch", str(args.batch), "--vocab", str(args.vocab),
                "--threads", str(args.threads)]
        out = {}
        if args.what in ("train", "both"):
            b = peer_threads.best_split(__file__, args.threads, base + ["--what", "train"],
                                        "train_tokens_per_s")
            out["train_tokens_per_s"] = f"{b['value']:.1f}"
            out["train_split"] = peer_threads.split_name(b["omp"], b["blas"])
            out["train_loss"] = b["line"].split("train_loss=")[1].split()[0]
            out["torch"] = b["line"].split("torch=")[1].split()[0]
        if args.what in ("gen", "both"):
            b = peer_threads.best_split(__file__, args.threads, base + ["--what", "gen"],
                                        "gen_cache_tokens_per_s")
            for k in ("gen_nocache_tokens_per_s", "gen_cache_tokens_per_s", "gen_same"):
                out[k] = b["line"].split(k + "=")[1].split()[0]
            out["gen_split"] = peer_threads.split_name(b["omp"], b["blas"])
            out["torch"] = b["line"].split("torch=")[1].split()[0]
        out["threads"] = str(args.threads)
        for k, v in out.items():
            print(f"{k}={v}")
        return 0

    peer_threads.child_setup(*split)   # before torch is imported
    torch = peer_threads.import_torch()
    if torch is None:
        return EXIT_NO_TORCH
    peer_threads.configure_torch(torch, split[0])
    torch.manual_seed(1337)
    V, T, L, NH, C, B = (args.vocab, args.context, args.layers, args.heads, args.width,
                         args.batch)
    model = build(torch, V, T, L, NH, C)
    fields = [f"torch={torch.__version__}", f"pools={peer_threads.pools_in_use(torch)}"]

    if args.what in ("train", "both"):
        model.train()
        opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99))
        g = torch.Generator().manual_seed(1)
        data = torch.randint(0, V, (100000,), generator=g)

        def get_batch():   # nanoGPT's get_batch: B random windows of T + 1 tokens
            ix = torch.randint(len(data) - T, (B,), generator=g)
            x = torch.stack([data[i:i + T] for i in ix])
            y = torch.stack([data[i + 1:i + 1 + T] for i in ix])
            return x, y

        def step():
            x, y = get_batch()
            _, loss = model(x, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            return loss

        for _ in range(args.warmup):
            step()
        windows = args.windows if args.steps >= args.windows else 1
        best = 0.0
        for w in range(windows):
            n = args.steps * (w + 1) // windows - args.steps * w // windows
            t0 = time.perf_counter()
            for _ in range(n):
                loss = step()
            lv = loss.item()
            best = max(best, n * B * T / (time.perf_counter() - t0))
        fields = [f"train_tokens_per_s={best:.1f}", f"train_loss={lv:.4f}"] + fields

    if args.what in ("gen", "both"):
        model.eval()
        start = torch.zeros((1, 1), dtype=torch.long)
        n_new = T - 1
        model.generate(start, 4)            # warm-up, not timed
        model.generate_cached(start, 4)
        same = 1
        rates = {}
        for name, fn in (("nocache", model.generate), ("cache", model.generate_cached)):
            best = 0.0
            outs = []
            for r in range(args.rounds):
                torch.manual_seed(100 + r)
                t0 = time.perf_counter()
                out = fn(start, n_new)
                best = max(best, n_new / (time.perf_counter() - t0))
                outs.append(out)
            rates[name] = (best, outs)
        for a, b in zip(rates["nocache"][1], rates["cache"][1]):
            same &= int(torch.equal(a, b))
        fields = [f"gen_nocache_tokens_per_s={rates['nocache'][0]:.1f}",
                  f"gen_cache_tokens_per_s={rates['cache'][0]:.1f}", f"gen_same={same}"] + fields

    print("peer_gpt " + " ".join(fields) + f" threads={args.threads}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
