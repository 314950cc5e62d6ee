#!/usr/bin/env bash
# scripts/plots.sh CHAPTER_DIR... — redraw every plot of the given chapters (`make plots`).
# Each run writes out/<name>.dat and out/<name>.gp next to out/<name>.png; this script reruns
# gnuplot on every out/*.gp, inside that out/ folder (the scripts read their .dat from
# there, write <name>.png.tmp and rename it to <name>.png). Exits non-zero if gnuplot is
# missing or any script fails.
set -u
if ! command -v gnuplot >/dev/null 2>&1; then
  echo "notice: gnuplot not found: cannot redraw plots; install with apt-get install gnuplot-nox, then run make plots" >&2
  exit 1
fi
drawn=0; failed=0
for chapter in "$@"; do
  out="$chapter/out"
  shopt -s nullglob
  scripts=("$out"/*.gp)
  shopt -u nullglob
  if [ ${#scripts[@]} -eq 0 ]; then
    echo "$chapter: no plots in $out yet (run the chapter first)"
    continue
  fi
  for gp in "${scripts[@]}"; do
    name=$(basename "$gp" .gp)
    if log=$(cd "$out" && gnuplot "$name.gp" 2>&1); then
      echo "drew $out/$name.png"
      drawn=$((drawn + 1))
    else
      echo "error: gnuplot failed on $gp:" >&2
      printf '%s\n' "$log" >&2
      rm -f "$out/$name.png.tmp"
      failed=$((failed + 1))
    fi
  done
done
echo "plots: $drawn drawn, $failed failed"
[ "$failed" -eq 0 ]
