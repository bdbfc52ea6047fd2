#!/usr/bin/env bash
# Installs exactly what Wathiq needs on Debian 12: build tools, libraries, SoftHSM2, clang for
# sanitizers/fuzzing, Go with golang.org/x/mod (the log's interop peer, built offline), Node.js (only
# if absent) and the interop tests' pinned npm packages.
# Idempotent and non-interactive. Run as root or with sudo available.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake pkg-config ninja-build
  libssl-dev libsodium-dev libbotan-2-dev libsqlcipher-dev nlohmann-json3-dev catch2
  libcbor-dev zlib1g-dev libzopfli-dev libqrencode-dev libzxing-dev libpng-dev libstb-dev libjpeg-dev
  libcpp-httplib-dev libcli11-dev libexpected-dev libp11-kit-dev softhsm2 openssl
  clang libclang-rt-14-dev
  python3 python3-cbor2 python3-cryptography
  golang-go golang-golang-x-mod-dev
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "bootstrap: Debian packages already present"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "bootstrap: Node.js >= 18 required, found $(node --version)" >&2
  exit 1
fi
command -v npm >/dev/null || { echo "bootstrap: npm missing" >&2; exit 1; }

if [ -f "$here/tests/interop/package-lock.json" ]; then
  if [ ! -d "$here/tests/interop/node_modules" ] || \
     [ "$here/tests/interop/package-lock.json" -nt "$here/tests/interop/node_modules/.package-lock.json" ]; then
    echo "bootstrap: npm ci (tests/interop)"
    (cd "$here/tests/interop" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "bootstrap: ok"
