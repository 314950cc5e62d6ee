#!/usr/bin/env python3
"""scripts/bench_torch_lstm.py — PyTorch's training throughput on the "small" word-level LSTM
language model of Zaremba, Sutskever & Vinyals (2014), the peer of chapter 5's --bench.

Measures: tokens per second of full training steps of nn.Embedding(10000, 200) →
nn.LSTM(200, 200, num_layers=2, batch_first=True) → nn.Linear(200, 10000) → F.cross_entropy
(mean over the B·T positions), backward, clip_grad_norm_(…, 5), SGD lr 1 — B = 20 rows of a
random token stream, unrolled T = 20 steps, the hidden state carried from one window to the
next and detached (truncated BPTT). Weights U(-0.1, 0.1) as the paper. Random tokens (fixed
seed): the data does not change the work. W warm-up steps are run first and not timed; then S
steps are timed with a monotonic clock in 3 consecutive windows (--windows), and the fastest
window's tokens_per_s = steps·B·T / seconds is reported — the same rule as chapter 5's C figure
(05_rnn_lstm/bench.c), so that a moment of other work on a shared machine hurts neither side.

Chapter 5 calls it as    /usr/bin/python3 scripts/bench_torch_lstm.py --threads 1
(the system python with Debian's python3-torch; 1.13 here). It is OPTIONAL: without torch it
prints a notice on stderr and exits with status 3, which the chapter treats as "skip the
comparison".

--threads T means the best split of T threads between PyTorch's OpenMP pool and OpenBLAS's
(scripts/peer_threads.py: one child process per split, the fastest is kept).

Output: stderr gets one "# " line per split and the chosen split; stdout exactly one line:
  torch_lstm tokens_per_s=<float> threads=<T> batch=<B> bptt=<T> steps=<S> torch=<version> split=omp<K>+blas<M>
"""
import argparse
import os
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_threads  # noqa: E402  (scripts/peer_threads.py)

EXIT_NO_TORCH = peer_threads.EXIT_NO_TORCH
positive_int = peer_threads.positive_int   # argparse type: an integer >= 1
V, D, H, L = 10000, 200, 200, 2


def main():
    ap = argparse.ArgumentParser(description="PyTorch training throughput of Zaremba et al.'s "
                                             "small LSTM language model (tokens/s).")
    ap.add_argument("--threads", type=positive_int, default=1,
                    help="threads in all: the best split between OpenMP and OpenBLAS "
                         "(default 1)")
    ap.add_argument("--steps", type=positive_int, default=24, help="timed steps (default 24)")
    ap.add_argument("--windows", type=positive_int, default=3,
                    help="the timed steps in this many windows; the fastest counts (default 3)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed steps first (default 5)")
    ap.add_argument("--batch", type=positive_int, default=20, help="rows B (default 20)")
    ap.add_argument("--bptt", type=positive_int, default=20, help="steps T (default 20)")
    peer_threads.add_child_args(ap)
    args = ap.parse_args()
    if args.warmup < 0:
        ap.error(f"--warmup expects an integer >= 0, got {args.warmup}")

    split = peer_threads.child_split(args)
    if split is None:   # the parent: one child per split, report the best
        argv = ["--threads", str(args.threads), "--steps", str(args.steps),
                "--warmup", str(args.warmup), "--batch", str(args.batch),
                "--bptt", str(args.bptt), "--windows", str(args.windows)]
        best = peer_threads.best_split(__file__, args.threads, argv, "tokens_per_s")
        torch_version = best["line"].split("torch=")[1].split()[0]
        print(f"torch_lstm tokens_per_s={best['value']:.1f} threads={args.threads} "
              f"batch={args.batch} bptt={args.bptt} steps={args.steps} torch={torch_version} "
              f"split={peer_threads.split_name(best['omp'], best['blas'])}")
        return 0

    peer_threads.child_setup(*split)   # before torch is imported
    torch = peer_threads.import_torch()
    if torch is None:
        return EXIT_NO_TORCH
    from torch import nn
    import torch.nn.functional as F

    peer_threads.configure_torch(torch, split[0])
    torch.manual_seed(0)

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, D)
            self.rnn = nn.LSTM(D, H, L, batch_first=True)
            self.head = nn.Linear(H, V)
            for p in self.parameters():
                nn.init.uniform_(p, -0.1, 0.1)

        def forward(self, x, state):
            out, state = self.rnn(self.embed(x), state)
            return self.head(out.reshape(-1, H)), state

    model = LM()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    B, T = args.batch, args.bptt
    g = torch.Generator().manual_seed(1)
    n_windows = 8
    stream = torch.randint(0, V, (B, n_windows * T + 1), generator=g)
    state = (torch.zeros(L, B, H), torch.zeros(L, B, H))
    pos = [0]

    def step(state):
        k = pos[0] % n_windows
        pos[0] += 1
        x = stream[:, k * T:(k + 1) * T]
        y = stream[:, k * T + 1:(k + 1) * T + 1]
        state = tuple(s.detach() for s in state)
        opt.zero_grad(set_to_none=True)
        logits, state = model(x, state)
        loss = F.cross_entropy(logits, y.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return loss, state

    for _ in range(args.warmup):
        _, state = step(state)
    # the timed steps in `windows` consecutive windows; the best window's rate counts (as
    # chapter 5's C measurement: a shared machine slows some windows, not the code)
    windows = args.windows if args.steps >= args.windows else 1
    best = 0.0
    for w in range(windows):
        n = args.steps * (w + 1) // windows - args.steps * w // windows
        t0 = time.perf_counter()
        for _ in range(n):
            loss, state = step(state)
        loss.item()   # make sure all the work is done before the clock stops
        best = max(best, n * B * T / (time.perf_counter() - t0))

    print(f"torch_lstm tokens_per_s={best:.1f} "
          f"threads={args.threads} batch={B} bptt={T} steps={args.steps} "
          f"torch={torch.__version__} pools={peer_threads.pools_in_use(torch)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
