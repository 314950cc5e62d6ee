#!/usr/bin/env bash
# scripts/make_fuzz_seeds.sh — (re)write the committed seed corpus of the fuzz targets.
#   tests/fuzz/corpus/idx/   inputs for tests/fuzz/fuzz_idx.c: 2-byte big-endian length k of
#                            the image file, k bytes of image file, then the label file.
# A few tiny valid sets and one of each kind of damage the loader must reject; every seed is
# < 4 KB. Run it from anywhere; it only writes into tests/fuzz/corpus/. Inputs the fuzzer
# found that once crashed the loader are kept there too, under names starting "regress-";
# this script leaves those alone.
set -euo pipefail
cd "$(dirname "$0")/.."

out=tests/fuzz/corpus/idx
mkdir -p "$out"

# be32 V: V as 4 big-endian bytes; be16 V: 2 bytes.
be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
be16() { printf "\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
# bytes N START: N payload bytes START, START+1, … (mod 256).
bytes() { local i; for ((i = 0; i < $1; i++)); do printf "\\x$(printf %02x $((($2 + i) % 256)))"; done; }

# images MAGIC N ROWS COLS EXTRA: an image file, EXTRA payload bytes more (or fewer) than valid.
images() { be32 "$1"; be32 "$2"; be32 "$3"; be32 "$4"; bytes $(($2 * $3 * $4 + $5)) 0; }
# labels MAGIC N L...: a label file with the given labels (N is what the header claims).
labels() {
  local magic=$1 n=$2; shift 2
  be32 "$magic"; be32 "$n"; local l; for l in "$@"; do printf "\\x$(printf %02x "$l")"; done
}

# seed NAME IMAGES_FUNCTION_ARGS... -- LABELS_FUNCTION_ARGS...: one input file.
seed() {
  local name=$1; shift
  local im=() lb=()
  while [ "$1" != "--" ]; do im+=("$1"); shift; done; shift
  lb=("$@")
  local tmp; tmp=$(mktemp)
  images "${im[@]}" > "$tmp"
  { be16 "$(stat -c %s "$tmp")"; cat "$tmp"; labels "${lb[@]}"; } > "$out/$name"
  rm -f "$tmp"
}

seed valid-3x2x2            2051 3 2 2 0    -- 2049 3 7 0 9
seed valid-1x1x1            2051 1 1 1 0    -- 2049 1 0
seed valid-2x28x28          2051 2 28 28 0  -- 2049 2 5 9
seed valid-4x3x5            2051 4 3 5 0    -- 2049 4 1 2 3 4
seed truncated-images       2051 3 2 2 -5   -- 2049 3 7 0 9
seed trailing-bytes         2051 3 2 2 7    -- 2049 3 7 0 9
seed wrong-magic            305419896 3 2 2 0 -- 2049 3 7 0 9
seed swapped-magic          2049 3 2 2 0    -- 2051 3 7 0 9
seed zero-rows              2051 3 0 2 0    -- 2049 3 7 0 9
seed zero-count             2051 0 2 2 0    -- 2049 0
seed huge-dims              2051 3 65536 65536 -51539607552 -- 2049 3 7 0 9
seed count-mismatch         2051 3 2 2 0    -- 2049 4 1 2 3 4
seed label-out-of-range     2051 3 2 2 0    -- 2049 3 1 10 2
seed labels-truncated       2051 3 2 2 0    -- 2049 3 1 2

# Not from the helpers: a gzip header and a short header. (No empty seed: libFuzzer skips
# empty files and always tries the empty input itself.)
{ be16 20; printf '\x1f\x8b\x08\x08\x3a\x1b\x90\x32'; bytes 12 0; labels 2049 1 0; } > "$out/gzip-header"
{ be16 6; be32 2051; printf '\x00\x00'; labels 2049 1 0; } > "$out/short-header"

for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -lt 4096 ] || { echo "error: seed $f is 4 KB or more" >&2; exit 1; }
done
echo "wrote $(ls "$out" | wc -l) seeds in $out"
