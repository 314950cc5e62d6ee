#!/usr/bin/env bash
# scripts/make_golden.sh NN_topic TAG — rewrite a chapter's golden reference files,
# tests/fixtures/golden_<TAG>_mnist.tsv and golden_<TAG>_fashion-mnist.tsv, from its --quick run
# (seed 42) on MNIST and on Fashion-MNIST alone (a data folder with only fashion-mnist/: the
# fallback a machine without MNIST runs). Timing keys are left out: they are not reproducible.
# Run from the repository root after `make data` and `make NN_topic`; the chapter's test
# (tests/test_chNN.c) compares its run with these files, key by key, with stated tolerances.
# Review the diff before committing: a golden value that moves needs a reason.
set -euo pipefail
chapter=${1:?usage: scripts/make_golden.sh NN_topic TAG (e.g. 02_backprop ch02)}
tag=${2:?usage: scripts/make_golden.sh NN_topic TAG}
bin=./$chapter/run
[ -x "$bin" ] || { echo "error: $bin is not built; run: make $chapter" >&2; exit 1; }
# Keys that measure time or speed (they differ run to run): the same list the tests skip.
timing='(_s|_ms|_seconds|_gbs|_gflops|_speedup|speedup|_per_s|_per_s_[0-9]+t|_s_per_100_steps)$|^time_|^bench_'
# Chapter 5 trains on text: its references are tiny Shakespeare (data/, with PTB and the sunspots)
# and the King James Bible alone (what make data falls back to offline: a data folder holding
# only bible-kjv.txt; set KJV=path/to/bible-kjv.txt when data/ has none).
if [ "$tag" = ch05 ]; then
  for corpus in tinyshakespeare bible-kjv; do
    out=$(mktemp -d)
    datadir=data
    if [ "$corpus" = bible-kjv ]; then
      kjv=${KJV:-data/bible-kjv.txt}
      [ -f "$kjv" ] || { echo "notice: no $kjv: golden_ch05_bible-kjv.tsv not rewritten" >&2; rm -rf "$out"; continue; }
      datadir=$out/data
      mkdir -p "$datadir"
      ln -s "$(cd "$(dirname "$kjv")" && pwd)/$(basename "$kjv")" "$datadir/bible-kjv.txt"
    fi
    "$bin" --quick --seed 42 --data "$datadir" --out "$out" > "$out/stdout.txt"
    file=tests/fixtures/golden_${tag}_${corpus}.tsv
    {
      echo "# golden_${tag}_${corpus}: made by scripts/make_golden.sh $chapter $tag ($bin --quick --seed 42 --data <a folder with $corpus>; metrics.tsv without its timing keys); tests/test_${tag}.c checks every key with the tolerance rules in the test"
      awk -F'\t' -v t="$timing" '$1 != "seed" && $1 !~ t' "$out/metrics.tsv"
    } > "$file.tmp"
    mv "$file.tmp" "$file"
    rm -rf "$out"
    echo "wrote $file ($(grep -vc '^#' "$file") keys)"
  done
  exit 0
fi
for data in mnist fashion-mnist; do
  flag=mnist; [ "$data" = fashion-mnist ] && flag=fashion
  out=$(mktemp -d)
  # The Fashion-MNIST reference is what a machine without MNIST runs (make data's fallback):
  # a data folder that holds only fashion-mnist/, so a chapter that would also use MNIST (the
  # transfer section of chapter 4) skips it there too.
  datadir=data
  if [ "$data" = fashion-mnist ]; then
    datadir=$out/data
    mkdir -p "$datadir"
    ln -s "$(cd data/fashion-mnist && pwd)" "$datadir/fashion-mnist"
  fi
  "$bin" --quick --seed 42 --data "$datadir" --dataset "$flag" --out "$out" > "$out/stdout.txt"
  file=tests/fixtures/golden_${tag}_${data}.tsv
  {
    echo "# golden_${tag}_${data}: made by scripts/make_golden.sh $chapter $tag ($bin --quick --seed 42 --dataset $flag --data <a folder with only $data/>; metrics.tsv without its timing keys); tests/test_${tag}.c checks every key with the tolerance rules in the test"
    awk -F'\t' -v t="$timing" '$1 != "seed" && $1 !~ t' "$out/metrics.tsv"
  } > "$file.tmp"
  mv "$file.tmp" "$file"
  rm -rf "$out"
  echo "wrote $file ($(grep -vc '^#' "$file") keys)"
done
