#!/usr/bin/env bash
# scripts/make_fuzz_seeds.sh — (re)write the committed seed corpus of the fuzz targets.
#   tests/fuzz/corpus/idx/   inputs for tests/fuzz/fuzz_idx.c: 2-byte big-endian length k of
#                            the image file, k bytes of image file, then the label file.
#   tests/fuzz/corpus/checkpoint/  inputs for tests/fuzz/fuzz_checkpoint.c: a mode byte (odd:
#                            the target recomputes the trailing CRC-32 before parsing), then
#                            the checkpoint file (format in common/train/checkpoint.h).
#   tests/fuzz/corpus/text/  inputs for tests/fuzz/fuzz_text.c: a settings byte (B, T,
#                            max_words), then the text.
#   tests/fuzz/corpus/csv/   inputs for tests/fuzz/fuzz_csv.c: a byte whose value mod 4 is the
#                            column to read, then the CSV text (data/csv.h).
#   tests/fuzz/corpus/wordvec/  inputs for tests/fuzz/fuzz_wordvec.c: a settings byte (bits 0-1:
#                            min_count - 1), then a word2vec text file or a corpus (data/wordvec.h).
#   tests/fuzz/corpus/wordeval/ inputs for tests/fuzz/fuzz_wordeval.c: a byte (even: analogy
#                            questions, odd: similarity pairs), then the file (data/wordeval.h).
#   tests/fuzz/corpus/bpe/   inputs for tests/fuzz/fuzz_bpe.c: a byte k, a byte m (merges to
#                            train), k bytes of text, then a tokenizer file (data/bpe.h).
#   tests/fuzz/corpus/imdb/  inputs for tests/fuzz/fuzz_imdb.c: a settings byte (bit 0 the pos/
#                            folder, bits 1-6 the tokenizer's options), a byte k, a k-byte file
#                            name, then the review (data/imdb.h, data/tokenize.h).
#   tests/fuzz/corpus/scaling/  inputs for tests/fuzz/fuzz_scaling.c: the whole input is a
#                            scaling-law CSV, Epoch AI's layout or the sweep's (data/scaling.h).
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

# ---- checkpoints, written byte by byte (independently of CkptWriter) ----
out=tests/fuzz/corpus/checkpoint
mkdir -p "$out"

# le16/le32 V: V as 2/4 little-endian bytes.
le16() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))"; }
le32() { le16 $(($1 & 65535)); le16 $(($1 >> 16 & 65535)); }
# name S: u16 length + the bytes of S (printf escapes allowed in S).
name() { local b; b=$(printf "$1" | wc -c); le16 "$b"; printf "$1"; }
# header MODEL N_RECORDS [VERSION]: magic, version, model name, record count.
header() { printf 'DLCKPT\r\n'; le32 "${3:-1}"; name "$1"; le32 "$2"; }
# rechead NAME TYPE NDIM DIMS...: a record's header as written (NDIM need not match DIMS).
rechead() {
  local d
  name "$1"; printf "\\x$(printf %02x "$2")\\x$(printf %02x "$3")"; shift 3
  for d in "$@"; do le32 "$d"; done
}
# record NAME TYPE DIMS...: a record (type 1 f32, 2 i32, 3 f64, 4 u64; ndim = number of DIMS)
# with its values: bytes 0, 1, 2, … (mod 256), as many as the product of DIMS needs.
record() {
  local nm=$1 type=$2; shift 2
  local count=1 es=4 d
  [ "$type" -ge 3 ] && es=8
  rechead "$nm" "$type" $# "$@"
  for d in "$@"; do count=$((count * d)); done
  bytes $((count * es)) 0
}
# ckpt MODE NAME: the body on stdin, then its CRC-32 (little-endian, as in the file), all after
# the mode byte, into $out/NAME. gzip's trailer holds exactly that CRC-32 (IEEE, as zlib's).
ckpt() {
  local tmp; tmp=$(mktemp)
  cat > "$tmp"
  { printf "\\x$(printf %02x "$1")"; cat "$tmp"; gzip -c < "$tmp" | tail -c 8 | head -c 4
  } > "$out/$2"
  rm -f "$tmp"
}
# damage NAME FROM OFFSET HEX: $out/NAME is $out/FROM with the byte at OFFSET (in the seed,
# the mode byte is offset 0) replaced by the byte HEX.
damage() {
  cp "$out/$2" "$out/$1"
  printf "\\x$4" | dd of="$out/$1" bs=1 seek="$3" conv=notrunc status=none
}

# valid (mode 1, so the fuzzer's mutations keep a correct checksum)
header m 0 | ckpt 1 valid-empty
{ header 04_cnn/digitcnn 6
  record train.steps 4                   # u64, ndim 0 (a scalar)
  record optim.m.0 2 3                   # i32, ndim 1
  record fc1.linear.w 1 2 3              # f32, ndim 2
  record train.seconds 3 1 2 1           # f64, ndim 3
  record conv1.conv.w 1 2 1 2 2          # f32, ndim 4
  record rng.spare 3                     # f64, ndim 0
} | ckpt 1 valid-types
{ header test/model 3
  record fc.w 1 3 0 2                    # an empty dimension: 0 values
  record data.state 2 0                  # an empty 1-D record
  record rng.state 4
} | ckpt 1 valid-empty-dim
{ header test/model 2
  record train.steps 4
  record train.steps 1 2                 # the same name twice (the format allows it)
} | ckpt 1 valid-duplicate-name
# the same valid file parsed with its own checksum (mode 0), and with path NULL (mode 2)
{ header test/model 2; record fc.w 1 2 3; record train.steps 4; } | ckpt 0 plain-valid
{ header test/model 2; record fc.w 1 2 3; record train.steps 4; } | ckpt 2 plain-valid-no-path

# damaged: the checksum and magic ones in mode 0 (parsed as they are), the structural ones in
# mode 1 (their checksum is right, so each is refused for what it is named after).
# plain-valid: mode byte, a 28-byte header, fc.w (header at 29, values at 45..68), train.steps.
damage bad-crc plain-valid 51 ff                          # a value changed
head -c 60 "$out/plain-valid" > "$out/truncated"          # ends inside fc.w's values
damage bad-magic plain-valid 7 0a                         # "DLCKPT\r\n" -> "DLCKPT\n\n"
{ cat "$out/plain-valid"; printf 'xyz'; } > "$out/after-checksum"
printf '\x00DLCKPT\r\n\x01\x00' > "$out/short-header"     # ends inside the version
{ header test/model 1 2; record fc.w 1 2 3; } | ckpt 1 bad-version
{ header test/model 1; record fc.w 7 2; } | ckpt 1 bad-type
{ header test/model 1; rechead fc.w 1 5 1 1 1 1 1; bytes 4 0; } | ckpt 1 bad-ndim
{ header test/model 1; rechead fc.w 1 4 65536 65536 65536 65536; } | ckpt 1 huge-shape
{ header test/model 1; rechead fc.w 1 1 2147483648; bytes 8 0; } | ckpt 1 negative-size
{ header test/model 4000000; record fc.w 1 2; } | ckpt 1 too-many-records
{ header test/model 1; rechead 'fc\x00w' 1 0; bytes 4 0; } | ckpt 1 nul-in-name
{ header '' 0; } | ckpt 1 empty-model-name

for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -lt 4096 ] || { echo "error: seed $f is 4 KB or more" >&2; exit 1; }
done
echo "wrote $(ls "$out" | wc -l) seeds in $out"

# ---- text: a settings byte (bits 0-1: B - 1, bits 2-4: T - 1, bits 5-7: max_words code),
# then the text ----
out=tests/fuzz/corpus/text
mkdir -p "$out"
# text NAME SETTINGS TEXT: one seed (printf escapes allowed in TEXT).
text() { { printf "\\x$(printf %02x "$2")"; printf "$3"; } > "$out/$1"; }
text hello            0x05 'hello world\n'
text ptb-lines        0x09 ' aer banknote berlitz calloway\n pierre <unk> N years old will join the board\n mr. <unk> is chairman of <unk> n.v.\n'
text crlf             0x00 'first line\r\nsecond line\r\n\r\nlast'
text empty-lines      0x46 'a\n\n\nb c\n\n'
text no-final-newline 0x2a 'to be or not to be that is the question'
text max-words-limit  0x61 'b a b c\nc b\nd\nd d e f g h i j\n'
text max-words-2      0x20 'a b c\n'
text only-space       0x03 ' \t \r\v\f  '
text nul-byte         0x04 'ab\ncd\0ef\n'
text high-bytes       0x0b '\xe2\x80\x94 caf\xc3\xa9 \xff\xfe\x80\n\x07\x1b[0m'
text one-char         0x00 'x'
text shakespeare      0x1f 'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n'
for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -lt 4096 ] || { echo "error: seed $f is 4 KB or more" >&2; exit 1; }
done
echo "wrote $(ls "$out" | wc -l) seeds in $out"

# ---- CSV files (tests/fuzz/fuzz_csv.c): a column byte, then the text ----
out=tests/fuzz/corpus/csv
mkdir -p "$out"
# csv NAME COLUMN TEXT: TEXT (printf escapes allowed) after the column byte.
csv() { { printf "\\x$(printf %02x "$2")"; printf "$3"; } > "$out/$1"; }

csv valid-sunspots-crlf   1 '"Month","Sunspots"\r\n"1749-01",58.0\r\n"1749-02",62.6\r\n"1749-03",70.0\r\n'
csv valid-lf-unquoted     1 'Month,Passengers\n1949-01,112\n1949-02,118\n'
csv valid-first-column    0 'x,y\n1.5,a\n-2e3,b\n'
csv valid-blank-last-line 1 'd,v\n1,2\n3,4\n\n'
csv valid-no-final-eol    2 'a,b,c\n1,2,3\n4,5,6'
csv valid-escaped-quote   1 '"na""me",v\n"a ""b""",7\n'
csv valid-spaces          1 'd,v\n1, 2.5 \n'
csv bad-number            1 'd,v\n1,2\n3,x4\n'
csv bad-nan               1 'd,v\n1,nan\n'
csv bad-inf               1 'd,v\n1,1e999\n'
csv too-few-fields        1 'd,v\n1,2\n3\n'
csv too-many-fields       1 'd,v\n1,2,3\n'
csv blank-middle-line     1 'd,v\n1,2\n\n3,4\n'
csv header-only           1 'd,v\r\n'
csv missing-column        3 'd,v\n1,2\n'
csv empty-column-name     1 'd,\n1,2\n'
csv unclosed-quote        1 '"d,v\n1,2\n'
csv text-after-quote      1 '"d"x,v\n1,2\n'
csv nul-in-name           1 'd\x00e,v\n1,2\n'
csv nul-in-number         1 'd,v\n1,2\x003\n'
csv bom                   1 '\xef\xbb\xbfd,v\n1,2\n'

for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -lt 4096 ] || { echo "error: seed $f is 4 KB or more" >&2; exit 1; }
done
echo "wrote $(ls "$out" | wc -l) seeds in $out"

# ---- word vectors and vocabularies (tests/fuzz/fuzz_wordvec.c): a min_count byte, then text ----
out=tests/fuzz/corpus/wordvec
mkdir -p "$out"
# wv NAME SETTINGS TEXT: TEXT (printf escapes allowed) after the settings byte.
wv() { { printf "\\x$(printf %02x "$2")"; printf "$3"; } > "$out/$1"; }

wv valid-gensim          0 '3 4\nthe 0.1 -0.2 0.3 0.4\nna\xc3\xafve 1e-3 2 -3.5 4\nit'"'"'s 0 0 0 0\n'
wv valid-word2vec-c      1 '2 3\nking 0.500000 -0.250000 1.000000 \nqueen 0.1 0.2 0.3 \n'
wv valid-crlf-blank-end  0 '1 2\r\nx 1 2\r\n\r\n\n'
wv bad-header            0 '3\na 1\n'
wv bad-header-words      0 'V D\na 1\n'
wv huge-header           0 '9999999 9999\na 1\n'
wv zero-dim              0 '1 0\na\n'
wv short-line            0 '2 2\na 1.5 2.5\nb 3.5\n'
wv long-line             0 '2 1\na 1 2\nb 3\n'
wv bad-number            0 '1 2\na 1 x2\n'
wv nan-value             0 '1 2\na 1 nan\n'
wv overflow-value        0 '1 2\na 1 1e99\n'
wv repeated-word         0 '2 1\na 1.5\na 2.5\n'
wv too-few-lines         0 '3 1\na 10.5\nb 20.5\n'
wv too-many-lines        0 '1 1\na 1\nb 2\n'
wv blank-line-inside     0 '2 1\na 1.5\n\nb 2.5\n'
wv binary-nul            0 '1 2\na \x00\x00\x80?\x00\x00\x00@\n'
wv corpus-text8          1 ' anarchism originated as a term of abuse first used against early working class radicals including the diggers of the english revolution and the sans culottes of the french revolution whilst the term is still used in a pejorative way'
wv corpus-min-count-none 3 'a b c d e f'
wv corpus-only-space     0 ' \t\r\n\v\f '
wv corpus-nul            0 'a b\x00c'

for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -lt 4096 ] || { echo "error: seed $f is 4 KB or more" >&2; exit 1; }
done
echo "wrote $(ls "$out" | wc -l) seeds in $out"

# ---- evaluation sets (tests/fuzz/fuzz_wordeval.c): a kind byte, then the file ----
out=tests/fuzz/corpus/wordeval
mkdir -p "$out"
# we NAME KIND TEXT: KIND 0 = analogy questions, 1 = similarity pairs.
we() { { printf "\\x$(printf %02x "$2")"; printf "$3"; } > "$out/$1"; }

we analogy-valid          0 ': capital-common-countries\nAthens Greece Baghdad Iraq\nAthens Greece Bangkok Thailand\n: gram1-adjective-to-adverb\namazing amazingly apparent apparently\n'
we analogy-colon-name     0 ':family\r\nboy girl brother sister\r\n\n: empty\n'
we analogy-no-section     0 'a b c d\n'
we analogy-three-words    0 ': s\na b c\n'
we analogy-many-words     0 ': s\na b c d e f g h i j k\n'
we analogy-bad-section    0 ': two names\na b c d\n'
we analogy-no-question    0 ': s\n: t\n'
we analogy-nul            0 ': s\na\x00 b c d\n'
we pairs-wordsim          1 '# The WordSimilarity-353 Test Collection\n# Word 1\tWord 2\tHuman (mean)\nlove\tsex\t6.77\ntiger\tcat\t7.35\ntiger\ttiger\t10.00\n'
we pairs-simlex-spaces    1 '# SimLex\nold new 1.58\r\nsmart\tintelligent\t9.2\n'
we pairs-two-fields       1 'a\tb\n'
we pairs-bad-score        1 'a\tb\tx\n'
we pairs-inf              1 'a\tb\t1e999\n'
we pairs-comments-only    1 '# a\n# b\n'

for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -lt 4096 ] || { echo "error: seed $f is 4 KB or more" >&2; exit 1; }
done
echo "wrote $(ls "$out" | wc -l) seeds in $out"

# ---- IMDb reviews: file name + bytes, tokenized ----
out=tests/fuzz/corpus/imdb
mkdir -p "$out"
# review NAME SETTINGS FILE_NAME TEXT: TEXT (printf escapes allowed) after the settings byte,
# the name's length and the name. SETTINGS 126 = every tokenizer option, neg/; 127 the same in pos/.
review() {
  { printf "\\x$(printf %02x "$2")\\x$(printf %02x ${#3})"; printf '%s' "$3"; printf "$4"; } > "$out/$1"
}
review valid-neg-all          126 '10_1.txt'   'Awful.<br /><br />It'"'"'s not good, don'"'"'t watch it: http://example.com/x'
review valid-pos-default      31  '0_7.txt'    'A brilliant film! 10/10 <i>really</i> www.imdb.com'
review valid-pos-stem         127 '12499_10.txt' 'Caresses ponies hopping generalizations; they'"'"'re relational.'
review valid-raw              0   '5_3.txt'    'Not   GOOD\tat all\n(1987) -- "quoted" ...'
review valid-utf8             15  '7_9.txt'    'Caf\xc3\xa9 na\xc3\xafve \xe2\x80\x99s \xff\xfe'
review bad-name               127 '12_x.txt'   'text'
review bad-rating-folder      127 '12_4.txt'   'text'
review bad-rating-range       126 '12_11.txt'  'text'
review bad-nul                126 '3_2.txt'    'ab\x00cd'
review bad-empty-name         126 ''           'text'
review bad-empty-review       127 '3_8.txt'    ''
review tags-and-urls          14  '1_1.txt'    '<a href="http://x.y">link</a> < b > c <br/>https://q.r/s?t=1<br />end'
review clitics                30  '2_2.txt'    "I'm sure they'll say we've won't can't 'em dogs' o'brien's"

for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -lt 4096 ] || { echo "error: seed $f is 4 KB or more" >&2; exit 1; }
done
echo "wrote $(ls "$out" | wc -l) seeds in $out"

# ---- the BPE tokenizer (tests/fuzz/fuzz_bpe.c): k, m, k bytes of text, then the file ----
out=tests/fuzz/corpus/bpe
mkdir -p "$out"
# tok NAME M TEXT FILE: the sample TEXT (printf escapes allowed) with its length byte, M merges
# to train on it, then the tokenizer FILE (printf escapes allowed).
tok() {
  local tmp; tmp=$(mktemp); printf "$3" > "$tmp"
  { printf "\\x$(printf %02x "$(stat -c %s "$tmp")")\\x$(printf %02x "$2")"; cat "$tmp"; printf "$4"; } > "$out/$1"
  rm -f "$tmp"
}
tok valid-lecture        3   'aaabdaaabac'        'dl-bpe 1 259\n97 97\n256 97\n257 98\n'
tok valid-no-merges      0   'x\x00y\xff'         'dl-bpe 1 256\n'
tok valid-crlf-no-eol    5   'aaaa aaa\x00\x00'   'dl-bpe 1 258\r\n97 97\r\n256 256'
tok valid-chain          20  'the then these th'  'dl-bpe 1 262\n116 104\n256 101\n257 110\n32 256\n257 32\n259 257\n'
tok bad-magic            1   'ab'                 'gpt-bpe 1 257\n97 98\n'
tok bad-version          1   'ab'                 'dl-bpe 2 257\n97 98\n'
tok bad-vocab            1   'ab'                 'dl-bpe 1 255\n'
tok huge-vocab           1   'ab'                 'dl-bpe 1 65536\n97 98\n'
tok truncated            1   'ab'                 'dl-bpe 1 260\n97 98\n256 99\n'
tok out-of-range         1   'ab'                 'dl-bpe 1 258\n97 98\n258 99\n'
tok repeated             1   'ab'                 'dl-bpe 1 258\n97 98\n97 98\n'
tok trailing             1   'ab'                 'dl-bpe 1 257\n97 98\n1 2\n'
tok garbage              200 'abcabcabc'          'dl-bpe 1 257\n97 x\n'
tok train-too-far        255 'abab'               ''

for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -lt 4096 ] || { echo "error: seed $f is 4 KB or more" >&2; exit 1; }
done
echo "wrote $(ls "$out" | wc -l) seeds in $out"

# ---- the scaling-law points (tests/fuzz/fuzz_scaling.c): the CSV text itself ----
out=tests/fuzz/corpus/scaling
mkdir -p "$out"
# pts NAME TEXT: TEXT (printf escapes allowed).
pts() { printf "$2" > "$out/$1"; }
pts valid-epoch          'x,y,color,Model Size,Training FLOP,hex_color,loss\n154.0,140.6,#faebdd,6795600349.28,9.99e+18,#faebdd,5.0055\n151.6,175.5,#f8d1b8,2979521172.19,9.22e+18,#f8d1b8,4.6652\n'
pts valid-epoch-crlf     '"Model Size","Training FLOP","loss"\r\n1e9,6e18,2.5\r\n2e8,1.2e18,3.25\r\n\r\n'
pts valid-ours           'N,D,flops,loss,steps\n125000,2e6,1.6e12,3.4,100\n250000,1e6,1.7e12,3.3,50\n'
pts valid-ours-reordered 'loss,flops,D,N\n2.9,6e13,1e7,1e6\n'
pts bad-empty-rows       'N,D,flops,loss\n'
pts bad-missing-column   'N,D,loss\n1,2,3\n'
pts bad-no-layout        'a,b,c\n1,2,3\n'
pts bad-nan              'N,D,flops,loss\n1e6,1e7,6e13,nan\n'
pts bad-zero-n           'N,D,flops,loss\n0,1e7,6e13,2\n'
pts bad-negative-c       'Model Size,Training FLOP,loss\n1e9,-6e18,2\n'
pts bad-text             'N,D,flops,loss\n1e6,lots,6e13,2\n'
pts bad-underflow-d      'Model Size,Training FLOP,loss\n1e300,1e-300,2\n'
pts bad-quote            '"N,D,flops,loss\n1,2,3,4\n'
pts bad-nul              'N,D,flops,loss\n1,2\x00,3,4\n'

for f in "$out"/*; do
  [ "$(stat -c %s "$f")" -lt 4096 ] || { echo "error: seed $f is 4 KB or more" >&2; exit 1; }
done
echo "wrote $(ls "$out" | wc -l) seeds in $out"
