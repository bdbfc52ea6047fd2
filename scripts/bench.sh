#!/usr/bin/env bash
# Builds and runs every benchmark (Release-like build in build/), printing the figures.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh" >/dev/null
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j "$(nproc)"
for b in "$root"/build/bench/*_bench; do
  echo "== $(basename "$b")"
  "$b"
  echo
done
