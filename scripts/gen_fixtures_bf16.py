#!/usr/bin/env python3
"""scripts/gen_fixtures_bf16.py — torch's float32 -> bfloat16 rounding, for tests/test_bf16.c.

Run:  /usr/bin/python3 scripts/gen_fixtures_bf16.py        (needs torch; tested with 1.13)
Writes (committed, so the tests need no Python):
  tests/fixtures/bf16_torch.txt

Format: '#' comment lines, then one line per value "<float32 bits> <bf16 bits>", both in hex
(0x%08x 0x%04x): the input's bits and those of torch.tensor(x).bfloat16(), so the test compares
bit for bit. Cases: exact bf16 values; ties (the 16 dropped bits exactly 0x8000) with an even
and an odd kept part, just below and just above a tie; carries into the exponent; the largest
finite float (rounds to infinity) and the largest bf16; the smallest normal and subnormals
(float32 subnormals, ties among them, the smallest subnormal); +-0, +-inf; NaNs (torch's bits
for a NaN depend on the code path, so the test only asks for a NaN there); then 1000 seeded
random bit patterns over the whole float range and 1000 uniform values in [-4, 4).
"""
import os
import struct

import torch

SEED = 1234
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(ROOT, "tests", "fixtures", "bf16_torch.txt")


def edge_bits():
    b = []
    # exact bf16 values, ties to even (kept part even/odd), just below and above a tie
    for hi in (0x3F80, 0x3F81, 0xBF80, 0xBF81, 0x4049, 0x404A, 0x0080, 0x0081, 0x7F7E, 0x7F7F):
        for lo in (0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF):
            b.append((hi << 16) | lo)
    b += [0x3FFFFFFF, 0x3FFF8000, 0x3FFF7FFF,       # carries into the exponent (rounds to 2.0)
          0x7F7FFFFF, 0xFF7FFFFF, 0x7F7F0000,         # max float (-> inf), max bf16
          0x7F7F7FFF, 0x7F7F8000,                     # below the tie to inf, the tie (-> inf)
          0x00800000, 0x807FFFFF, 0x007FFFFF,         # smallest normal, largest subnormals
          0x00000001, 0x80000001, 0x00008000, 0x00018000, 0x00010000, 0x00017FFF,
          0x00000000, 0x80000000,                     # +-0
          0x7F800000, 0xFF800000,                     # +-inf
          0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FBFFFFF, 0x7F808000]   # NaNs (quiet, signalling)
    return b


def main():
    g = torch.Generator().manual_seed(SEED)
    bits = edge_bits()
    rnd = torch.randint(0, 2 ** 32, (1000,), generator=g, dtype=torch.int64).tolist()
    bits += rnd
    uni = (torch.rand(1000, generator=g, dtype=torch.float32) * 8 - 4).tolist()
    bits += [struct.unpack("<I", struct.pack("<f", v))[0] for v in uni]
    xs = torch.tensor([struct.unpack("<f", struct.pack("<I", v))[0] for v in bits],
                      dtype=torch.float32)
    # the bits as stored (a signalling NaN may have been quieted on the way through Python)
    xb = xs.view(torch.int32).tolist()
    yb = xs.bfloat16().view(torch.int16).tolist()
    with open(PATH, "w") as out:
        out.write("# tests/fixtures/bf16_torch.txt — written by /usr/bin/python3 "
                  "scripts/gen_fixtures_bf16.py (torch %s)\n" % torch.__version__)
        out.write("# <float32 bits> <bf16 bits of torch .bfloat16()>, %d values\n" % len(xb))
        for x, y in zip(xb, yb):
            out.write("0x%08x 0x%04x\n" % (x & 0xFFFFFFFF, y & 0xFFFF))
    print("wrote %s (%d values)" % (PATH, len(xb)))


if __name__ == "__main__":
    main()
