#!/usr/bin/env python3
"""scripts/gen_fixtures_bpe.py — an independent byte-level BPE, for tests/test_bpe.c.

Run:  /usr/bin/python3 scripts/gen_fixtures_bpe.py     (plain Python 3, no packages)
Writes (committed, so the tests need no Python):
  tests/fixtures/bpe_minbpe.txt   in tests/fixture.h's block format:
    @ train_text N     the training text, one byte value a line: 2,500 bytes of tiny
                       Shakespeare, UTF-8 ("naïve café ☃"), NULs and pseudo-random bytes
    @ merges M 2       the merges learned (left, right), merge i makes id 256 + i
    @ train_ids K      the training text encoded with them
    @ held_text N2     another text (more Shakespeare, other bytes), @ held_ids its encoding
The BPE is written here from the definition, in the manner of Karpathy's minbpe
(https://github.com/karpathy/minbpe, basic.py): count adjacent pairs in a dict whose insertion
order is the order of first occurrence, take max() (the first of equal counts), replace left
to right; encode by repeatedly merging the present pair of lowest rank. The C implementation
(common/data/bpe.c) is incremental and must give exactly the same merges and ids.
"""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N_MERGES = 120


def get_stats(ids):
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


def train(text, n_merges):
    ids, merges = list(text), []
    for i in range(n_merges):
        stats = get_stats(ids)
        pair = max(stats, key=stats.get)        # the first pair of the highest count
        ids = merge(ids, pair, 256 + i)
        merges.append(pair)
    return merges


def encode(text, merges):
    rank = {p: i for i, p in enumerate(merges)}
    ids = list(text)
    while len(ids) >= 2:
        stats = get_stats(ids)
        pair = min(stats, key=lambda p: rank.get(p, float("inf")))
        if pair not in rank:
            break
        ids = merge(ids, pair, 256 + rank[pair])
    return ids


def decode(ids, merges):
    vocab = {i: bytes([i]) for i in range(256)}
    for i, (a, b) in enumerate(merges):
        vocab[256 + i] = vocab[a] + vocab[b]
    return b"".join(vocab[i] for i in ids)


def lcg_bytes(n, seed):
    out, x = [], seed
    for _ in range(n):
        x = (1103515245 * x + 12345) % 2**31
        out.append(x >> 16 & 255)
    return bytes(out)


def block(f, name, rows, cols=None):
    f.write(f"@ {name} {len(rows)}" + (f" {cols}\n" if cols else "\n"))
    for r in rows:
        if cols:
            for v in r:
                f.write(f"{v}\n")
        else:
            f.write(f"{r}\n")


def main():
    with open(os.path.join(ROOT, "data", "tinyshakespeare.txt"), "rb") as f:
        shakespeare = f.read(4000)
    train_text = (shakespeare[:2500] + "naïve café ☃ aaaa aaa".encode() + b"\0\0x\0\0" +
                  lcg_bytes(200, 7) + b"aaabdaaabac")
    held_text = shakespeare[2500:3300] + lcg_bytes(100, 11) + b"\0\xff\xfe aaaaaaa"
    merges = train(train_text, N_MERGES)
    train_ids = encode(train_text, merges)
    held_ids = encode(held_text, merges)
    assert decode(train_ids, merges) == train_text and decode(held_ids, merges) == held_text
    assert train("aaabdaaabac".encode(), 3) == [(97, 97), (256, 97), (257, 98)]
    assert encode(b"aaabdaaabac", train(b"aaabdaaabac", 3)) == [258, 100, 258, 97, 99]
    path = os.path.join(ROOT, "tests", "fixtures", "bpe_minbpe.txt")
    with open(path, "w") as f:
        f.write("# scripts/gen_fixtures_bpe.py: a minbpe-style BPE in Python (byte values, merges, ids)\n")
        block(f, "train_text", list(train_text))
        block(f, "merges", merges, 2)
        block(f, "train_ids", train_ids)
        block(f, "held_text", list(held_text))
        block(f, "held_ids", held_ids)
    print(f"wrote {path}: {len(train_text)} bytes -> {len(train_ids)} tokens with {N_MERGES} merges; "
          f"held-out {len(held_text)} bytes -> {len(held_ids)} tokens")


if __name__ == "__main__":
    main()
