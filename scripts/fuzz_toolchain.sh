#!/usr/bin/env bash
# scripts/fuzz_toolchain.sh CC DIR — can CC link a libFuzzer program with ASan + UBSan?
# make fuzz runs this before compiling anything (fuzz.mk). Silent when it can; otherwise it
# says what is missing and the command that installs it, and exits 1. Scratch files go in DIR.
set -u
cc=${1:-clang}; dir=${2:-build/fuzz}
arch=$(uname -m)
mkdir -p "$dir"

if ! command -v "${cc%% *}" >/dev/null 2>&1; then
  echo "error: make fuzz needs clang (libFuzzer is part of clang), and '$cc' is not installed." >&2
  echo "  Debian/Ubuntu: apt-get install clang libclang-rt-dev   (or make fuzz FUZZ_CC=clang-NN)" >&2
  exit 1
fi
if ! $cc --version 2>/dev/null | grep -qi clang; then
  echo "error: make fuzz needs clang (libFuzzer is part of clang), and '$cc' is not clang:" >&2
  echo "  make fuzz FUZZ_CC=clang   (Debian/Ubuntu: apt-get install clang libclang-rt-dev)" >&2
  exit 1
fi

cat > "$dir/probe.c" <<'C'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
C
if $cc -fsanitize=fuzzer,address,undefined "$dir/probe.c" -o "$dir/probe" > "$dir/probe.log" 2>&1; then
  exit 0
fi

major=$($cc -dumpversion 2>/dev/null | cut -d. -f1)
rtdir=$($cc -print-resource-dir 2>/dev/null)/lib/linux
sed -n '1,6s/^/  | /p' "$dir/probe.log" >&2
echo "error: $cc (clang $major) cannot link a libFuzzer program with ASan + UBSan on this $arch" >&2
echo "  machine (its output above). What is missing is clang's runtime: libclang_rt.fuzzer-$arch.a" >&2
echo "  and the asan/ubsan libraries, looked for in $rtdir/." >&2
echo "  Debian/Ubuntu: apt-get install libclang-rt-$major-dev   (libclang-rt-dev for the default clang)" >&2
echo "  Other systems: install compiler-rt for clang $major. libFuzzer does not exist for every CPU;" >&2
echo "  where it does not, skip make fuzz: make test SANITIZE=1 still tests the loaders under ASan + UBSan." >&2
exit 1
