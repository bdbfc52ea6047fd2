#!/usr/bin/env bash
# Installs the built tree into a temporary prefix and builds and runs tests/consumer/ against it with
# find_package(Wathiq), as a project embedding Wathiq would. Also compiles every installed public header
# on its own. Needs a build (scripts/test.sh).
#   scripts/consumer.sh [BUILD_DIR]      default: build/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log"
echo "consumer: installed into a temporary prefix ($(find "$tmp/prefix" -type f | wc -l) files)"

# Each public header compiles by itself against the installed tree (nothing from the source tree).
n=0
while IFS= read -r h; do
  rel=${h#"$tmp/prefix/include/"}
  case "$rel" in
    *.h | *.hpp) ;;
    *) continue ;;
  esac
  printf '#include <%s>\n' "$rel" | c++ -std=c++20 -fsyntax-only -x c++ -I"$tmp/prefix/include" - ||
    { echo "consumer: $rel does not compile on its own" >&2; exit 1; }
  n=$((n + 1))
done < <(find "$tmp/prefix/include" -type f | sort)
echo "consumer: $n installed headers compile on their own"

cmake -S "$root/tests/consumer" -B "$tmp/consumer-build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/consumer-build" -j "$(nproc)"
"$tmp/consumer-build/wathiq_consumer"
