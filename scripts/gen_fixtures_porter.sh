#!/usr/bin/env bash
# scripts/gen_fixtures_porter.sh [TEXT8] — tests/fixtures/porter_voc.txt: "word stem" per line, the
# stems by Snowball's porter stemmer (Debian libstemmer-tools: `stemwords -l porter`), which
# tests/test_tokenize.c checks common/data/porter.c against, line by line.
#
# The words: the 10,000 most frequent words of the text8 prefix (TEXT8, default data/text8_prefix.txt,
# else the mirror's text8_prefix.gz), plus the examples of Porter's paper and a few words that
# exercise each rule (consonant y, double consonants, the regions R1/R2), sorted, unique.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/tests/fixtures/porter_voc.txt
src=${1:-$root/data/text8_prefix.txt}
command -v stemwords >/dev/null || { echo "error: stemwords not found (apt-get install libstemmer-tools)" >&2; exit 1; }
if [ -f "$src" ]; then read_text() { cat "$src"; }
elif [ -f /work/shared/data/text8_prefix.gz ]; then read_text() { gzip -dc /work/shared/data/text8_prefix.gz; }
else echo "error: $src not found (run: make data)" >&2; exit 1; fi

EXTRA="caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled
sized hopping tanned falling hissing fizzed failing filing happy sky relational conditional rational
valenci hesitanci digitizer conformabli radicalli differentli vileli analogousli vietnamization
predication operator feudalism decisiveness hopefulness callousness formaliti sensitiviti
sensibiliti triplicate formative formalize electriciti electrical hopeful goodness revival
allowance inference airliner gyroscopic adjustable defensible irritant replacement adjustment
dependent adoption homologou communism activate angulariti homologous effective bowdlerize probate
rate cease controll roll generalization oscillators generalizations logical archaeology
probabli revved trekked buzzed hissed yes ys ies ed ing is as us a i y yy ayy sayyid
youth yelling playing enjoying boy boys toy crying cried flies dying lying says saying
eed speed proceed succeed exceed filed filing hoped hoping fail failed rated
troubling troubles meetings meeting feet agreement agreements national nationalization
university universe universal hopefulnessly running runner ran gallery galleries
conditionally relationally sensational sensationally argument arguments argue argued
argues arguing generous generously generosity happiness happily unhappiness
brilliant brilliantly awful awfully wonderful wonderfully terrible terribly excellent
boring bored bores movie movies film films acting actor actors actress director
directed directing directs characters character characterization"
{
  read_text | tr ' ' '\n' | grep -v '^$' | sort | uniq -c | sort -k1,1nr -k2,2 | awk 'NR <= 10000' \
    | awk '{print $2}'
  printf '%s\n' $EXTRA
} | LC_ALL=C sort -u >"$out.words"
stemwords -l porter -i "$out.words" -o "$out.stems"
paste -d' ' "$out.words" "$out.stems" >"$out"
rm -f "$out.words" "$out.stems"
echo "$(wc -l <"$out") words, $(wc -c <"$out") bytes → $out"
