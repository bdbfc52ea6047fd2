#!/usr/bin/env bash
# The project's C and C++ files against .clang-format (clang-format-14, Debian's clang-format-14 package).
#   scripts/format.sh            format them in place
#   scripts/format.sh --check    change nothing; list each file that is not formatted and exit 1 (CI)
#   scripts/format.sh FILE...    format just these files
# Files listed in scripts/format-pending.txt (written before .clang-format, and still being edited by
# work in flight) are skipped in both modes until they are formatted: format one with
# `scripts/format.sh FILE` when you next change it and delete its line. New files are always checked.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
clang_format=${CLANG_FORMAT:-clang-format-14}
command -v "$clang_format" >/dev/null || { echo "format.sh: $clang_format not found (apt-get install clang-format-14)" >&2; exit 2; }

mode=fix
if [ "${1:-}" = "--check" ]; then
  mode=check
  shift
fi

if [ $# -gt 0 ]; then
  files=("$@")
else
  # Tracked and untracked (not ignored) sources; build folders and node_modules are git-ignored.
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.cc' '*.cpp' '*.h' '*.hpp' |
    grep -v -E '(^|/)(build[^/]*|node_modules)/' | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done)
  if [ -f scripts/format-pending.txt ]; then
    mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -v -x -F -f <(grep -v -E '^(#|$)' scripts/format-pending.txt))
  fi
fi

if [ "$mode" = fix ]; then
  "$clang_format" -i --style=file "${files[@]}"
  echo "format.sh: formatted ${#files[@]} files"
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  "$clang_format" --style=file --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'format.sh: not formatted: %s\n' "${bad[@]}" >&2
  echo "format.sh: run scripts/format.sh FILE... (clang-format-14) and commit the result" >&2
  exit 1
fi
echo "format.sh: ${#files[@]} files formatted as .clang-format says"
