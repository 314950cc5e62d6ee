#!/usr/bin/env python3
"""scripts/bench_torch_cnn.py — PyTorch's training throughput on chapter 4's digit CNN, the
peer our C numbers are compared against.

Measures: images per second of full training steps (forward, CrossEntropyLoss, backward,
Adam lr 1e-3 update) of the same DigitCNN as 04_cnn (conv 3x3 32 → BN → ReLU → pool → dropout
→ conv 3x3 64 → BN → ReLU → pool → dropout → FC 3136→128 → ReLU → dropout → FC 128→10), on
random inputs (B, 1, 28, 28) with random labels (fixed seed: the data does not change the
work, and no dataset is needed). W warm-up steps are run first and not timed; then S steps
are timed with a monotonic clock: images_per_s = S·B / seconds.

Chapter 4 calls it as    /usr/bin/python3 scripts/bench_torch_cnn.py --threads 1
(the system python with Debian's python3-torch; 1.13 here). It is OPTIONAL: the chapter
only shows the comparison when this script succeeds. Without torch it prints a notice on
stderr and exits with status 3, which the chapter treats as "skip the comparison".

--threads T means the best split of T threads between PyTorch's OpenMP pool and OpenBLAS's:
scripts/peer_threads.py runs the measurement once per split, each in a child process of this
script whose pools are sized before torch is imported, and keeps the fastest (why: its
docstring). For T = 1 that is the one split omp1+blas1.

Output: stderr gets one "# " line per split (its images/s) and the chosen split; stdout gets
exactly one line, the best split's figure:
  torch_cnn images_per_s=<float> threads=<T> batch=<B> steps=<S> torch=<version> split=omp<K>+blas<M>
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


def main():
    ap = argparse.ArgumentParser(description="PyTorch training throughput of chapter 4's "
                                             "DigitCNN (images/s).")
    ap.add_argument("--threads", type=positive_int, default=1,
                    help="threads in all: the best split between OpenMP and OpenBLAS "
                         "(default 1)")
    ap.add_argument("--steps", type=positive_int, default=100, help="timed steps (default 100)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps first (default 10)")
    ap.add_argument("--batch", type=positive_int, default=64, help="batch size (default 64)")
    peer_threads.add_child_args(ap)
    args = ap.parse_args()
    if args.warmup < 0:
        ap.error(f"--warmup expects an integer >= 0, got {args.warmup}")

    split = peer_threads.child_split(args)
    if split is None:   # the parent: one child per split, report the best
        argv = ["--threads", str(args.threads), "--steps", str(args.steps),
                "--warmup", str(args.warmup), "--batch", str(args.batch)]
        best = peer_threads.best_split(__file__, args.threads, argv, "images_per_s")
        torch_version = best["line"].split("torch=")[1].split()[0]
        print(f"torch_cnn images_per_s={best['value']:.1f} threads={args.threads} "
              f"batch={args.batch} steps={args.steps} torch={torch_version} "
              f"split={peer_threads.split_name(best['omp'], best['blas'])}")
        return 0

    peer_threads.child_setup(*split)   # before torch is imported
    torch = peer_threads.import_torch()
    if torch is None:
        return EXIT_NO_TORCH
    from torch import nn

    peer_threads.configure_torch(torch, split[0])
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
    )
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(args.batch, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (args.batch,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    loss.item()   # make sure all the work is done before the clock stops
    seconds = time.perf_counter() - t0

    print(f"torch_cnn images_per_s={args.steps * args.batch / seconds:.1f} "
          f"threads={args.threads} batch={args.batch} steps={args.steps} "
          f"torch={torch.__version__} pools={peer_threads.pools_in_use(torch)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
