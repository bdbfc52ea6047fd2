#!/usr/bin/env bash
# Crash soak: runs the issuer's kill -9 tests (tests/cli: a batch killed part way; revocations, suspensions
# and publications killed part way) with many seeds, each run WATHIQ_CRASH_ROUNDS kill points (default 20).
#   scripts/soak.sh [BUILD_DIR]          BUILD_DIR default: build
#   WATHIQ_SOAK_COUNT=N                  runs (default 10; each run = both tests with one seed)
#   WATHIQ_SOAK_SEED=S                   first seed (default: from the clock); run i uses S + i
# Prints one line per failing seed and a summary line:
#   soak: RUNS runs, KILLS kill points, FAILURES failed (seeds: ...), SECONDS s
# Exit status 1 when any run failed. Logs of failing runs stay under BUILD_DIR/soak-logs/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
count=${WATHIQ_SOAK_COUNT:-10}
first=${WATHIQ_SOAK_SEED:-$(date +%s)}
logs="$build/soak-logs"
mkdir -p "$logs"
batch_test="$build/tests/issuer_cli_test"
revoke_test="$build/tests/issuer_crash_cli_test"
for t in "$batch_test" "$revoke_test"; do
  [ -x "$t" ] || { echo "soak: $t is not built (ninja -C $build issuer_cli_test issuer_crash_cli_test wathiq)" >&2; exit 2; }
done

start=$(date +%s)
kills=0
failed=()
for ((i = 0; i < count; i++)); do
  seed=$((first + i))
  log="$logs/seed-$seed.log"
  ok=1
  WATHIQ_CRASH_SEED=$seed "$batch_test" "[crash]" >"$log" 2>&1 || ok=0
  WATHIQ_CRASH_SEED=$seed "$revoke_test" "[crash]" >>"$log" 2>&1 || ok=0
  # "issuer crash test: N kills, ..." and "issuer revocation crash test: N kills, ..."
  k=$(grep -Eo '^issuer (revocation )?crash test: [0-9]+ kills' "$log" | grep -Eo '[0-9]+ kills' | awk '{s += $1} END {print s + 0}')
  kills=$((kills + k))
  if [ $ok = 1 ]; then
    rm -f "$log"
  else
    failed+=("$seed")
    echo "soak: seed $seed FAILED (log $log)"
  fi
done
secs=$(($(date +%s) - start))
echo "soak: $count runs, $kills kill points, ${#failed[@]} failed (seeds: ${failed[*]:-none}), $secs s"
[ ${#failed[@]} -eq 0 ]
