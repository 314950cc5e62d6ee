#!/usr/bin/env bash
# scripts/gen_fixtures_stopwords.sh — tests/fixtures/stopwords_sklearn.txt: scikit-learn's
# ENGLISH_STOP_WORDS (Debian python3-sklearn), one word a line, sorted; tests/test_tokenize.c
# checks that stopword_is (common/data/tokenize.c) holds exactly these 318 words.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/tests/fixtures/stopwords_sklearn.txt
/usr/bin/python3 -c 'from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as S
print("\n".join(sorted(S)))' >"$out.tmp"
mv "$out.tmp" "$out"
echo "$(wc -l <"$out") words → $out"
