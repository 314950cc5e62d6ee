#!/usr/bin/env bash
# scripts/student_edition.sh DEST — write the student edition of the course into DEST:
# every file git knows (tracked, or new and not ignored) except the reference solutions
# (*/exercises/solutions/) and what exists only to test them (tests/fixtures/grader/,
# tests/test_grader.c). expected/ stays, so `make grade` works there as here; `make expected`
# there stops with a message (it needs the solutions). Run as: make student-edition DEST=dir
set -euo pipefail
dest=${1:-}
if [ -z "$dest" ]; then
  echo "error: no destination: make student-edition DEST=../course-student" >&2; exit 2
fi
if [ -e "$dest" ] && [ -n "$(ls -A "$dest" 2>/dev/null)" ]; then
  echo "error: $dest exists and is not empty; choose a new folder" >&2; exit 2
fi
cd "$(dirname "$0")/.."
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "error: $(pwd) is not a git checkout: the edition is made from the files git knows" >&2; exit 1
fi
list=$(mktemp)
trap 'rm -f "$list"' EXIT
git ls-files -z --cached --others --exclude-standard \
  | grep -zEv '(^|/)exercises/solutions/|^tests/fixtures/grader/|^tests/test_grader\.c$' \
  | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done > "$list"
mkdir -p "$dest"
tar --null -T "$list" -cf - | tar -xf - -C "$dest"
n=$(tr -cd '\0' < "$list" | wc -c)
echo "student edition: $n files in $dest (no exercises/solutions/, no grader self-tests)"
