#!/usr/bin/env bash
# Sets up this machine (scripts/bootstrap.sh), builds the `wathiq` command line and runs the end-to-end
# demo: national PKI, trust list, civil ID issuance, a QR written as PNG, decoded and verified offline,
# then shown stale ten minutes on and a tampered copy refused; then revoked, suspended, reinstated and published
# through a real issuer deployment, a token past its exp, and the auditor's rebuild. Files go to demo-out/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh"
# The same configuration as scripts/test.sh, so the two share one build.
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" >/dev/null
cmake --build "$root/build" -j "$(nproc)" --target wathiq
"$root/build/cli/wathiq" demo --out "${WATHIQ_DEMO_OUT:-$root/demo-out}"
