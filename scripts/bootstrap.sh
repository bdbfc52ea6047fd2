#!/usr/bin/env bash
# Installs exactly what Wathiq needs on Debian 12: build tools, libraries, SoftHSM2, clang for
# sanitizers/fuzzing, Go with golang.org/x/mod (the log's interop peer, built offline), Node.js (only
# if absent) and the interop tests' pinned npm packages (into npm's cache; never into the source tree).
# Idempotent and non-interactive. Run as root or with sudo available.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake pkg-config ninja-build
  libssl-dev libsodium-dev libbotan-2-dev nlohmann-json3-dev catch2
  libcbor-dev zlib1g-dev libzopfli-dev libqrencode-dev libzxing-dev libpng-dev libstb-dev libjpeg-dev
  libcpp-httplib-dev libcli11-dev libexpected-dev libp11-kit-dev softhsm2 openssl
  clang libclang-rt-14-dev clang-format-14
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

# SQLCipher 4.6 (library and the `sqlcipher` shell the storage tests run) from Debian's bookworm-backports
# suite, never bookworm's own 3.4.1 (design/DEPENDENCIES.md, trap 2). Backports are only used when asked
# for with -t, so adding the suite changes nothing else.
backports=(libsqlcipher-dev sqlcipher)
missing_bp=()
for p in "${backports[@]}"; do
  dpkg-query -W -f='${Status} ${Version}\n' "$p" 2>/dev/null | grep -q '^install ok installed [4-9]\.' || missing_bp+=("$p")
done
if [ ${#missing_bp[@]} -gt 0 ] && ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # The suite comes from the machine's own Debian source: URIs and Signed-By copied from the stanza that
  # serves bookworm, so no mirror host is written here.
  stanza=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    stanza=$(awk 'BEGIN { RS = ""; FS = "\n" } {
      uris = ""; signed = ""; suites = ""; insig = 0
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^#/) continue
        if ($i ~ /^[ \t]/ && insig) { signed = signed "\n" $i; continue }
        insig = 0
        if ($i ~ /^URIs:/) uris = $i
        else if ($i ~ /^Suites:/) suites = $i
        else if ($i ~ /^Signed-By:/) { signed = $i; insig = 1 }
      }
      if (suites ~ /[ \t]bookworm([ \t]|$)/ && uris != "") {
        print "Types: deb"; print uris; print "Suites: bookworm-backports"; print "Components: main"
        if (signed != "") print signed
        exit
      }
    }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$stanza" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1) == "bookworm") { print $i; exit } } }' /etc/apt/sources.list)
    if [ -n "$uri" ]; then stanza=$(printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\n' "$uri"); fi
  fi
  if [ -z "$stanza" ]; then
    echo "bootstrap: cannot find the Debian source for bookworm to add bookworm-backports (needed for SQLCipher 4.6)" >&2
    exit 1
  fi
  echo "bootstrap: adding the bookworm-backports suite (SQLCipher 4.6)"
  printf '%s\n' "$stanza" | "${sudo_cmd[@]}" tee /etc/apt/sources.list.d/wathiq-bookworm-backports.sources >/dev/null
fi

if [ ${#missing[@]} -gt 0 ] || [ ${#missing_bp[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  if [ ${#missing_bp[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing_bp[*]} from bookworm-backports"
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends -t bookworm-backports "${missing_bp[@]}"
  fi
else
  echo "bootstrap: Debian packages already present"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "bootstrap: Node.js >= 18 required, found $(node --version)" >&2
  exit 1
fi
command -v npm >/dev/null || { echo "bootstrap: npm missing" >&2; exit 1; }

# The interop peers' pinned packages go into npm's cache (~/.npm), not into the source tree: the tests
# install node_modules into the build folder from it (the interop_npm_ci fixture). Priming the cache here
# keeps the test run's install offline.
lock="$here/tests/interop/package-lock.json"
if [ -f "$lock" ]; then
  stamp="$(npm config get cache)/wathiq-interop-lock.sha256"  # the lock file the cache was primed from
  if [ ! -f "$stamp" ] || ! sha256sum --status -c "$stamp" 2>/dev/null; then
    echo "bootstrap: npm cache (tests/interop peers)"
    prime=$(mktemp -d)
    trap 'rm -rf "$prime"' EXIT
    cp "$here/tests/interop/package.json" "$lock" "$prime/"
    (cd "$prime" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error)
    sha256sum "$lock" >"$stamp"
  fi
fi
echo "bootstrap: ok"
