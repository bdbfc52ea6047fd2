#!/usr/bin/env bash
# Builds and runs every benchmark (an optimised build of its own, -O2, in build-bench/), printing the figures.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh" >/dev/null
cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build-bench" -j "$(nproc)" --target benchmarks
for b in "$root"/build-bench/bench/*_bench; do
  echo "== $(basename "$b")"
  "$b"
  echo
done
