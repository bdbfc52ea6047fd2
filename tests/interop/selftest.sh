#!/usr/bin/env bash
# Self-test of the interop peers: node<->node in every direction, python (WQ1 encoder) -> node, and the
# must-reject cases. Needs `npm ci --no-audit --no-fund` to have been run in this folder.
# Exit 0 when every check passed, 1 otherwise, 2 when the environment is missing.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
PY=/usr/bin/python3
NODE="${NODE:-node}"
if [ ! -d "$HERE/node_modules/@auth0/mdl" ] || [ ! -d "$HERE/node_modules/@owf/mdoc" ]; then
  echo "node_modules missing: run (cd $HERE && npm ci --no-audit --no-fund)" >&2
  exit 2
fi
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

# Every peer run is bounded: a run that hangs is killed after STEP_TIMEOUT seconds and named, with its
# inputs kept for a bug report (a hang seen twice in many runs, under load, in a third-party peer), and
# is then run once more. A second hang, or a wrong answer on the rerun, fails the check as usual.
STEP_TIMEOUT="${STEP_TIMEOUT:-60}"
run_bounded() {
  local name="$1"
  shift
  bounded "$@"
  local rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    local keep
    keep="$(mktemp -d /tmp/wathiq-interop-hang-XXXXXX)"
    cp -r "$T"/. "$keep"/ 2>/dev/null
    printf '%q ' "$@" >"$keep/command.txt"
    echo "HANG $name: killed after ${STEP_TIMEOUT}s; inputs kept in $keep; running it once more" >&2
    echo "HANG $name (inputs in $keep)" >>"$HANGS"
    bounded "$@"
    rc=$?
  fi
  return $rc
}
# A shell function below bounds its own program; anything else is bounded here.
bounded() {
  if declare -F "$1" >/dev/null; then "$@"; else timeout -k 5 "$STEP_TIMEOUT" "$@"; fi
}
HANGS="$T/hangs"
: >"$HANGS"

# check NAME EXPECTED_RC command...   (for rc 0/1 the JSON "ok" must agree with the exit code)
check() {
  local name="$1" want="$2"
  shift 2
  local out rc
  out="$(run_bounded "$name" "$@" 2>"$T/stderr")"
  rc=$?
  if [ "$rc" = "$want" ] && { [ "$want" = 2 ] || printf '%s' "$out" | grep -q "\"ok\": *$([ "$want" = 0 ] && echo true || echo false)"; }; then
    pass=$((pass + 1))
    echo "ok   $name"
  else
    fail=$((fail + 1))
    echo "FAIL $name (rc=$rc, want $want): $(printf '%s' "$out" | head -c 300) $(head -c 300 "$T/stderr")"
  fi
  LAST_OUT="$out"
}

same_elements() { # NAME VERIFY_JSON META_FILE
  if "$PY" -c 'import json,sys; v=json.loads(sys.argv[1]); m=json.load(open(sys.argv[2])); sys.exit(0 if v["elements"]==m["elements"] and v["types"]==m["types"] and v["docType"]==m["docType"] else 1)' "$2" "$3"; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    fail=$((fail + 1)); echo "FAIL $1: elements differ from meta.json"
  fi
}

verify() { timeout -k 5 "$STEP_TIMEOUT" "$NODE" "$HERE/mdoc_verify.mjs" "$@"; }
issue() { timeout -k 5 "$STEP_TIMEOUT" "$NODE" "$HERE/mdoc_issue.mjs" "$@"; }
check "python encoder --selftest" 0 "$PY" "$HERE/wq1_encoder.py" --selftest
check "fresh IACA (--iaca-out)" 0 issue --iaca-out --out "$T/other"
for lib in auth0 owf; do
  check "issue with $lib" 0 issue --lib "$lib" --out "$T/$lib"
  "$PY" -c 'import sys; b=open(sys.argv[1],"rb").read(); assert b.count(b"Al-Mutairi")==1; open(sys.argv[2],"wb").write(b.replace(b"Al-Mutairi", b"Al-Mutairj"))' \
    "$T/$lib/device_response.cbor" "$T/$lib/flipped.cbor"
  # wrong transcripts: presentedAt + 1, and the same presentedAt with a nonce
  "$PY" -c 'import cbor2,sys,os; st=cbor2.loads(open(sys.argv[1],"rb").read()); h=st[2]
open(sys.argv[2],"wb").write(cbor2.dumps([None,None,[h[0],h[1]+1,h[2]]]))
open(sys.argv[3],"wb").write(cbor2.dumps([None,None,[h[0],h[1],os.urandom(16)]]))' \
    "$T/$lib/session_transcript.cbor" "$T/$lib/st_later.cbor" "$T/$lib/st_nonce.cbor"
done
for issuer in auth0 owf; do
  D="$T/$issuer"
  for verifier in auth0 owf; do
    check "$issuer -> $verifier verifies" 0 verify --lib $verifier --iaca "$D/iaca.pem" --response "$D/device_response.cbor" --transcript "$D/session_transcript.cbor"
    same_elements "$issuer -> $verifier elements match meta.json" "$LAST_OUT" "$D/meta.json"
    check "$issuer -> $verifier rejects another IACA" 1 verify --lib $verifier --iaca "$T/other/iaca.pem" --response "$D/device_response.cbor" --transcript "$D/session_transcript.cbor"
    check "$issuer -> $verifier rejects a flipped value byte" 1 verify --lib $verifier --iaca "$D/iaca.pem" --response "$D/flipped.cbor" --transcript "$D/session_transcript.cbor"
    check "$issuer -> $verifier rejects presentedAt+1" 1 verify --lib $verifier --iaca "$D/iaca.pem" --response "$D/device_response.cbor" --transcript "$D/st_later.cbor"
    check "$issuer -> $verifier rejects an added nonce" 1 verify --lib $verifier --iaca "$D/iaca.pem" --response "$D/device_response.cbor" --transcript "$D/st_nonce.cbor"
  done
done

# python WQ1 encoder -> node verifiers, with the DS of the auth0 run (its IACA is the trust anchor)
D="$T/auth0"
cat >"$T/claims.json" <<'EOF'
{"family_name": "Al-Mutairi", "given_name": "Fatima", "birth_date": "1990-04-12", "issue_date": "2025-01-15",
 "expiry_date": "2030-01-14", "document_number": "KW-DL-0012345", "issuing_country": "KW", "age_over_18": true}
EOF
NOW=$(date +%s)
enc() { timeout -k 5 "$STEP_TIMEOUT" "$PY" "$HERE/wq1_encoder.py" --issuer-key "$D/ds_key.pem" --issuer-cert "$D/ds.der" --device-key "$D/device_key.pem" \
  --doctype org.iso.18013.5.1.mDL --namespace org.iso.18013.5.1 --claims "$T/claims.json" \
  --disclose family_name,birth_date,age_over_18,issuing_country --presented-at "$NOW" \
  --status-uri https://status.example/kw/1 --status-idx 7 --transcript-out "$T/py_st.cbor" "$@"; }
if enc --device-response-out "$T/py_dr.cbor" >"$T/py.wq1" && grep -q '^WQ1:' "$T/py.wq1"; then
  pass=$((pass + 1)); echo "ok   python encoder writes WQ1 + DeviceResponse"
else
  fail=$((fail + 1)); echo "FAIL python encoder run"
fi
for verifier in auth0 owf; do
  check "python -> $verifier verifies" 0 verify --lib $verifier --iaca "$D/iaca.pem" --response "$T/py_dr.cbor" --transcript "$T/py_st.cbor"
done
NONCE=00112233445566778899aabbccddeeff
if enc --nonce $NONCE --device-response-out "$T/py_dr_nonce.cbor" >/dev/null; then
  for verifier in auth0 owf; do
    check "python (challenge mode) -> $verifier verifies" 0 verify --lib $verifier --iaca "$D/iaca.pem" --response "$T/py_dr_nonce.cbor" --transcript "$T/py_st.cbor"
  done
fi
check "issue with owf in challenge mode" 0 issue --lib owf --out "$T/owf_nonce" --nonce $NONCE
check "owf (challenge mode) -> auth0 verifies" 0 verify --lib auth0 --iaca "$T/owf_nonce/iaca.pem" --response "$T/owf_nonce/device_response.cbor" --transcript "$T/owf_nonce/session_transcript.cbor"
enc --device-response-out "$T/py_dr.cbor" >/dev/null # restores py_st.cbor to time mode
enc --valid-from 2019-01-01T00:00:00Z --valid-until 2020-01-01T00:00:00Z --device-response-out "$T/py_expired.cbor" >/dev/null
for verifier in auth0 owf; do
  check "python expired MSO -> $verifier rejects" 1 verify --lib $verifier --iaca "$D/iaca.pem" --response "$T/py_expired.cbor" --transcript "$T/py_st.cbor"
done
for kind in value digest device_sig issuer_sig doctype; do
  enc --tamper $kind --device-response-out "$T/py_$kind.cbor" >/dev/null
  for verifier in auth0 owf; do
    check "python --tamper $kind -> $verifier rejects" 1 verify --lib $verifier --iaca "$D/iaca.pem" --response "$T/py_$kind.cbor" --transcript "$T/py_st.cbor"
  done
done

# usage and IO errors
check "verify usage error" 2 verify --lib nope
check "verify missing file" 2 verify --lib owf --iaca "$T/missing.pem" --response "$T/missing" --transcript "$T/missing"
check "issue usage error" 2 issue --lib auth0
check "encoder usage error" 2 "$PY" "$HERE/wq1_encoder.py" --doctype x

if [ -s "$HANGS" ]; then
  echo "peer runs that hung once and passed on a rerun:"
  cat "$HANGS"
fi
echo "interop selftest: $pass passed, $fail failed"
[ "$fail" = 0 ]
