#!/usr/bin/env bash
# Runs the libFuzzer targets of a WATHIQ_FUZZ build.
#   scripts/fuzz.sh smoke BUILD_DIR        each target briefly (CI): any crash fails
#   scripts/fuzz.sh long  BUILD_DIR RUNS   each target for RUNS executions, seeds from tests/data
# A crash input is kept under BUILD_DIR/fuzz-artifacts/; copy it to tests/data/fuzz-regressions/<target>/
# so that the regression tests replay it forever.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
what=${1:?smoke or long}
build=${2:?build dir}
runs=${3:-10000000}
seconds=${WATHIQ_FUZZ_SECONDS:-6}
# ASan's default quarantine (256 MB) and 30-frame allocation stacks grow a multi-million-run fuzzer past
# 2 GB of RSS and slow it by half; a small quarantine still catches use-after-free of recent frees.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=8:malloc_context_size=10}"
corpus_root="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

for bin in "$build"/fuzz/*_fuzz; do
  name=$(basename "$bin")
  target=${name%_fuzz}
  corpus="$corpus_root/$target"
  mkdir -p "$corpus"
  seeds=()
  [ -d "$root/fuzz/seeds/$target" ] && seeds+=("$root/fuzz/seeds/$target")
  [ -d "$root/tests/data/fuzz-regressions/$target" ] && seeds+=("$root/tests/data/fuzz-regressions/$target")
  if [ "$what" = smoke ]; then
    limit=(-max_total_time="$seconds")
  else
    limit=(-runs="$runs")
  fi
  echo "fuzz: $name (${limit[*]})"
  "$bin" "${limit[@]}" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-" "$corpus" "${seeds[@]}" 2>"$artifacts/$target.log" || {
      tail -n 40 "$artifacts/$target.log"
      echo "fuzz: $name FAILED; input kept in $artifacts" >&2
      exit 1
    }
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|cov:" "$artifacts/$target.log" | tail -n 3
done
