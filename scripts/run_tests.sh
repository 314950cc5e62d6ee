#!/usr/bin/env bash
# scripts/run_tests.sh BIN... — run every Check test binary, then print one total line.
# Each binary prints Check's own summary ("100%: Checks: 12, Failures: 0, Errors: 0") and one
# "SKIPPED: <test>: <why>" line per test it could not run on this machine (testutil.h,
# dl_tcase_add_test_if: such a test is not run, so Check does not count it). This script adds
# them up, lists the skipped tests, and ends with "Total: N passed, N failed, N skipped"
# (the "Total: N passed, N failed" prefix is stable for readers that parse it), exiting
# non-zero if any binary failed or crashed. Skipped tests do not fail the run.
set -u
passed=0; failed=0; skipped=0; bad_bins=(); skipped_tests=()
for bin in "$@"; do
  echo "---- $bin"
  out=$("$bin" 2>&1); status=$?
  printf '%s\n' "$out"
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: [0-9]+' | tail -n 1)
  if [ -n "$line" ]; then
    checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    fails=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
    errs=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + checks - fails - errs)); failed=$((failed + fails + errs))
  else
    failed=$((failed + 1))
  fi
  while IFS= read -r skip; do
    skipped_tests+=("$(basename "$bin"): ${skip#SKIPPED: }")
    skipped=$((skipped + 1))
  done < <(printf '%s\n' "$out" | grep -E '^SKIPPED: ')
  if [ "$status" -ne 0 ]; then bad_bins+=("$bin (exit $status)"); fi
done
echo
if [ ${#skipped_tests[@]} -gt 0 ]; then
  echo "Skipped tests (not run on this machine):"; printf '  %s\n' "${skipped_tests[@]}"
fi
if [ ${#bad_bins[@]} -gt 0 ]; then
  echo "Failing test binaries:"; printf '  %s\n' "${bad_bins[@]}"
  [ "$failed" -eq 0 ] && failed=${#bad_bins[@]}
fi
echo "Total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ ${#bad_bins[@]} -eq 0 ]
