#!/usr/bin/env bash
# scripts/make_golden.sh NN_topic TAG — rewrite a chapter's golden reference files from its --quick
# run (seed 42), one per kind of data a machine may have. Timing keys are left out: they are not
# reproducible. Run from the repository root after `make data` and `make NN_topic`; the chapter's
# test (tests/test_chNN.c) compares its run with these files, key by key, with stated tolerances.
#   chapters 1–4: tests/fixtures/golden_<TAG>_mnist.tsv and golden_<TAG>_fashion-mnist.tsv, on
#                 MNIST and on Fashion-MNIST alone (a data folder with only fashion-mnist/: the
#                 fallback a machine without MNIST runs);
#   chapter 5:    golden_ch05_tinyshakespeare.tsv (data/, with PTB and the sunspots) and
#                 golden_ch05_bible-kjv.tsv (a data folder holding only the King James Bible, what
#                 make data falls back to offline; KJV=path/to/bible-kjv.txt when data/ has none).
#   chapter 6:    golden_ch06_text8.tsv (data/: the text8 prefix, IMDb and the evaluation sets).
#   chapter 7:    golden_ch07_tinyshakespeare.tsv (data/: tiny Shakespeare and the KJV Bible).
#   chapter 8:    golden_ch08_chinchilla.tsv (data/: Epoch AI's Chinchilla runs, the text8 prefix
#                 and tiny Shakespeare; the ddp_ keys of the 2-rank run need Open MPI's mpirun).
# Review the diff before committing: a golden value that moves needs a reason.
set -euo pipefail
chapter=${1:?usage: scripts/make_golden.sh NN_topic TAG (e.g. 02_backprop ch02)}
tag=${2:?usage: scripts/make_golden.sh NN_topic TAG}
bin=./$chapter/run
[ -x "$bin" ] || { echo "error: $bin is not built; run: make $chapter" >&2; exit 1; }
# Keys that measure time or speed (they differ run to run): the same list the tests skip.
timing='(_s|_ms|_seconds|_seconds_[0-9]+|_gbs|_gflops|_speedup|speedup|_per_s|_per_s_[0-9]+t|_s_per_100_steps)$|^time_|^bench_'

# golden NAME DATADIR WHAT [FLAGS…]: run the chapter on DATADIR, write golden_<tag>_NAME.tsv.
golden() {
  local name=$1 datadir=$2 what=$3 out file
  shift 3
  out=$(mktemp -d)
  "$bin" --quick --seed 42 --data "$datadir" "$@" --out "$out" > "$out/stdout.txt"
  file=tests/fixtures/golden_${tag}_${name}.tsv
  {
    echo "# golden_${tag}_${name}: made by scripts/make_golden.sh $chapter $tag ($bin --quick --seed 42 ${*:+$* }--data <$what>; metrics.tsv without its timing keys); tests/test_${tag}.c checks every key with the tolerance rules in the test"
    awk -F'\t' -v t="$timing" '$1 != "seed" && $1 !~ t' "$out/metrics.tsv"
  } > "$file.tmp"
  mv "$file.tmp" "$file"
  rm -rf "$out"
  echo "wrote $file ($(grep -vc '^#' "$file") keys)"
}

# only NAME PATH: a new temporary data folder holding only PATH (a file or folder) as NAME.
only() {
  local dir
  dir=$(mktemp -d)
  ln -s "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")" "$dir/$1"
  echo "$dir"
}

if [ "$tag" = ch05 ]; then
  golden tinyshakespeare data "a folder with tinyshakespeare"
  kjv=${KJV:-data/bible-kjv.txt}
  if [ -f "$kjv" ]; then
    dir=$(only bible-kjv.txt "$kjv")
    golden bible-kjv "$dir" "a folder with only bible-kjv.txt"
    rm -rf "$dir"
  else
    echo "notice: no $kjv: golden_ch05_bible-kjv.tsv not rewritten" >&2
  fi
  exit 0
fi
if [ "$tag" = ch06 ]; then
  golden text8 data "a folder with text8_prefix.txt, imdb/ and the evaluation sets"
  exit 0
fi
if [ "$tag" = ch08 ]; then
  # ddp_efficiency_ratio is a ratio of two measured speeds: timing, though not named so.
  timing="$timing|^ddp_efficiency_ratio\$"
  golden chinchilla data "a folder with chinchilla/svg_extracted_data.csv, text8_prefix.txt and tinyshakespeare.txt"
  exit 0
fi
if [ "$tag" = ch07 ]; then
  golden tinyshakespeare data "a folder with tinyshakespeare.txt and bible-kjv.txt"
  exit 0
fi
golden mnist data "a folder with only mnist/" --dataset mnist
# The Fashion-MNIST reference is what a machine without MNIST runs (make data's fallback): a data
# folder that holds only fashion-mnist/, so a chapter that would also use MNIST (the transfer
# section of chapter 4) skips it there too.
dir=$(only fashion-mnist data/fashion-mnist)
golden fashion-mnist "$dir" "a folder with only fashion-mnist/" --dataset fashion
rm -rf "$dir"
