#!/usr/bin/env bash
# Sets up this machine (scripts/bootstrap.sh), builds everything and runs every test.
#   scripts/test.sh               g++ build in build/, all tests (the README's test command)
#   scripts/test.sh --sanitize    clang build with ASan+UBSan and the libFuzzer targets in build-asan/,
#                                 the tests again under the sanitizers except those labelled `slow` (npm
#                                 and Go peers, kill -9 loops, image sweeps through zxing-cpp: processes
#                                 and uninstrumented libraries, run by the plain pass), then a short fuzz
#                                 smoke run
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
jobs=$(nproc)

"$root/scripts/bootstrap.sh"

if [ "$mode" = "--sanitize" ]; then
  build="$root/build-asan"
  # -O0 and line tables only: what ASan's reports need. clang's -O1 with the sanitizers takes 2.5 times as
  # long to compile, for tests whose time goes to OpenSSL and libsodium, which are not instrumented anyway.
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O0 -gline-tables-only -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -gline-tables-only -DNDEBUG" \
    -DWATHIQ_FUZZ=ON -DWATHIQ_BENCH=OFF -DWATHIQ_WERROR=ON
  skip=(-LE slow)
else
  build="$root/build"
  skip=()
  # -O1 without debug info: the suite and the demo need no more, and it compiles in about 40% of the time
  # of -O2 -g (nlohmann/json, CLI11 and Catch2 are template-heavy). The benchmarks build apart, optimised.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" -DWATHIQ_WERROR=ON
fi
cmake --build "$build" -j "$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$build" && ctest -j "$jobs" --output-on-failure --timeout 600 "${skip[@]}")

if [ "$mode" = "--sanitize" ]; then
  "$root/scripts/fuzz.sh" smoke "$build"
fi
echo "test.sh: all tests passed (${mode:-default build})"
