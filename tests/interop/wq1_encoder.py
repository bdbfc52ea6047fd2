#!/usr/bin/python3
"""Independent encoder of the Wathiq WQ1 QR presentation profile (design/QR-PROFILE.md over ISO/IEC 18013-5).

Written only from the profile text and ISO 18013-5; it shares no code with the C++ implementation.
Needs only Debian's python3-cbor2 and python3-cryptography (run it with /usr/bin/python3: a pyenv python
on PATH may lack them). Exit codes: 0 success, 1 self-test failure, 2 usage or IO error.
"""
import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import sys
import zlib

import cbor2
from cbor2 import CBORTag
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

TAMPER_KINDS = ("value", "digest", "device_sig", "issuer_sig", "doctype")
ES256 = -7
X5CHAIN = 33
KID = 4
ALG = 1


class UsageError(Exception):
    pass


# ------------------------------------------------------------------ Base45 (RFC 9285)
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += [B45[c], B45[d], B45[e]]
    if len(data) % 2:
        n = data[-1]
        out += [B45[n % 45], B45[n // 45]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    try:
        vals = [B45.index(ch) for ch in text]
    except ValueError:
        raise ValueError("invalid Base45 character") from None
    if len(vals) % 3 == 1:
        raise ValueError("invalid Base45 length")
    out = bytearray()
    for i in range(0, len(vals), 3):
        chunk = vals[i:i + 3]
        n = sum(v * 45 ** k for k, v in enumerate(chunk))
        if len(chunk) == 3:
            if n > 0xFFFF:
                raise ValueError("Base45 triple out of range")
            out += bytes([n >> 8, n & 0xFF])
        else:
            if n > 0xFF:
                raise ValueError("Base45 pair out of range")
            out.append(n)
    return bytes(out)


# ------------------------------------------------------------------ deterministic CBOR
def _check_order(obj):
    """cbor2's canonical mode sorts map keys length-first (RFC 7049); RFC 8949 4.2.1 sorts the encoded
    keys bytewise. They agree for every map this encoder writes; fail loudly if that ever changes."""
    if isinstance(obj, dict):
        enc = [cbor2.dumps(k, canonical=True) for k in obj]
        if sorted(enc, key=lambda e: (len(e), e)) != sorted(enc):
            raise AssertionError("map keys whose length-first and bytewise orders differ")
        for v in obj.values():
            _check_order(v)
    elif isinstance(obj, list):
        for v in obj:
            _check_order(v)
    elif isinstance(obj, CBORTag):
        _check_order(obj.value)


def dumps(obj) -> bytes:
    _check_order(obj)
    return cbor2.dumps(obj, canonical=True)


def tag24(obj) -> CBORTag:
    return CBORTag(24, dumps(obj))


def tdate(t: dt.datetime) -> CBORTag:
    return CBORTag(0, t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


# ------------------------------------------------------------------ keys and signatures
def load_private_key(path):
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise UsageError(f"{path}: need a P-256 private key (ES256)")
    return key


def load_certificate(path) -> bytes:
    with open(path, "rb") as f:
        data = f.read()
    cert = x509.load_pem_x509_certificate(data) if data.startswith(b"-----BEGIN") else x509.load_der_x509_certificate(data)
    return cert.public_bytes(serialization.Encoding.DER)


def cose_key(public_key) -> dict:
    n = public_key.public_numbers()
    return {1: 2, -1: 1, -2: n.x.to_bytes(32, "big"), -3: n.y.to_bytes(32, "big")}


def sign_es256(key, data: bytes) -> bytes:
    r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_es256(public_key, sig: bytes, data: bytes) -> bool:
    if len(sig) != 64:
        return False
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return dumps(["Signature1", protected, b"", payload])


# ------------------------------------------------------------------ claims
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def claim_value(name, v):
    if isinstance(v, str) and DATE_RE.match(v) and (name.endswith("_date") or name == "birth_date"):
        dt.date.fromisoformat(v)  # reject impossible dates
        return CBORTag(1004, v)
    if isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, list):
        return [claim_value(name, x) for x in v]
    if isinstance(v, dict):
        return {k: claim_value(k, x) for k, x in v.items()}
    raise UsageError(f"claim {name}: unsupported JSON value {v!r} (use strings, booleans, integers, arrays, objects)")


def parse_time(text, what) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{what}: not an RFC 3339 date-time: {text}") from None
    if t.tzinfo is None:
        raise UsageError(f"{what}: RFC 3339 date-time needs a time zone: {text}")
    return t.astimezone(dt.timezone.utc).replace(microsecond=0)


# ------------------------------------------------------------------ building
def session_transcript(presented_at, nonce):
    return [None, None, ["WathiqQR", presented_at, nonce]]


def build(issuer_key, cert_der, device_key, doctype, namespace, claims, disclose, presented_at, nonce=None,
          valid_from=None, valid_until=None, signed=None, status=None, tamper=None):
    """Returns (document_with_x5chain, session_transcript)."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    valid_from = valid_from or now
    valid_until = valid_until or valid_from + dt.timedelta(days=365)
    signed = signed or min(now, valid_from)

    digest_ids = list(range(len(claims)))
    random.SystemRandom().shuffle(digest_ids)
    items, digests = {}, {}
    for (name, value), did in zip(claims.items(), digest_ids):
        item = {"digestID": did, "random": os.urandom(16), "elementIdentifier": name,
                "elementValue": claim_value(name, value)}
        items[name] = tag24(item)
        digests[did] = hashlib.sha256(dumps(items[name])).digest()

    mso = {"version": "1.0", "digestAlgorithm": "SHA-256", "valueDigests": {namespace: digests},
           "deviceKeyInfo": {"deviceKey": cose_key(device_key.public_key())}, "docType": doctype,
           "validityInfo": {"signed": tdate(signed), "validFrom": tdate(valid_from), "validUntil": tdate(valid_until)}}
    if status is not None:
        mso["status"] = {"status_list": {"idx": status[1], "uri": status[0]}}
    mso_bytes = dumps(tag24(mso))
    protected = dumps({ALG: ES256, KID: hashlib.sha256(cert_der).digest()[:8]})
    issuer_auth = [protected, {X5CHAIN: cert_der}, mso_bytes, sign_es256(issuer_key, sig_structure(protected, mso_bytes))]

    st = session_transcript(presented_at, nonce)
    device_ns = tag24({})
    device_auth_bytes = dumps(tag24(["DeviceAuthentication", st, doctype, device_ns]))
    dprot = dumps({ALG: ES256})
    device_sig = [dprot, {}, None, sign_es256(device_key, sig_structure(dprot, device_auth_bytes))]

    doc = {"docType": doctype,
           "issuerSigned": {"nameSpaces": {namespace: [items[n] for n in disclose]}, "issuerAuth": issuer_auth},
           "deviceSigned": {"nameSpaces": device_ns, "deviceAuth": {"deviceSignature": device_sig}}}
    if tamper:
        apply_tamper(doc, namespace, tamper)
    return doc, st


def _flip_last_bit(b: bytes) -> bytes:
    return b[:-1] + bytes([b[-1] ^ 0x01])


def apply_tamper(doc, namespace, kind):
    """Break an already signed document in one specific way."""
    ns_items = doc["issuerSigned"]["nameSpaces"][namespace]
    if kind in ("value", "digest"):
        if not ns_items:
            raise UsageError("--tamper value/digest needs at least one disclosed element")
        item = cbor2.loads(ns_items[0].value)
        if kind == "digest":  # same value, one bit of the salt flipped: the digest no longer matches
            item["random"] = _flip_last_bit(item["random"])
        else:
            v = item["elementValue"]
            if isinstance(v, bool):
                v = not v
            elif isinstance(v, int):
                v = v + 1
            elif isinstance(v, str):
                v = v[:-1] + ("X" if v[-1:] != "X" else "Y")
            elif isinstance(v, CBORTag) and v.tag == 1004:
                v = CBORTag(1004, (dt.date.fromisoformat(v.value) + dt.timedelta(days=1)).isoformat())
            else:
                v = "tampered"
            item["elementValue"] = v
        ns_items[0] = tag24(item)
    elif kind == "device_sig":
        s = doc["deviceSigned"]["deviceAuth"]["deviceSignature"]
        s[3] = _flip_last_bit(s[3])
    elif kind == "issuer_sig":
        ia = doc["issuerSigned"]["issuerAuth"]
        ia[3] = _flip_last_bit(ia[3])
    elif kind == "doctype":
        doc["docType"] = doc["docType"] + ".tampered"
    else:
        raise UsageError(f"unknown tamper kind {kind}")


def device_response(doc, keep_x5chain=True):
    doc = dict(doc)
    issuer_signed = dict(doc["issuerSigned"])
    ia = list(issuer_signed["issuerAuth"])
    if not keep_x5chain:
        ia[1] = {k: v for k, v in ia[1].items() if k != X5CHAIN}
    issuer_signed["issuerAuth"] = ia
    doc["issuerSigned"] = issuer_signed
    return {"version": "1.0", "documents": [doc], "status": 0}


def wq1_text(presented_at, nonce, dr) -> str:
    return "WQ1:" + b45encode(zlib.compress(dumps([1, presented_at, nonce, dr]), 9))


# ------------------------------------------------------------------ decoding and checking (self-test only)
class Reject(Exception):
    pass


def check_wq1(text, cert_der, namespace):
    """A small strict verifier of this encoder's own output, used by --selftest."""
    if not text.startswith("WQ1:"):
        raise Reject("malformed")
    raw = zlib.decompress(b45decode(text[4:]))
    env = cbor2.loads(raw)
    if dumps(env) != raw:
        raise Reject("malformed: not deterministic CBOR")
    if not (isinstance(env, list) and len(env) == 4 and env[0] == 1):
        raise Reject("malformed: envelope")
    _, presented_at, nonce, dr = env
    if set(dr) != {"version", "documents", "status"} or dr["version"] != "1.0" or dr["status"] != 0:
        raise Reject("malformed: DeviceResponse")
    (doc,) = dr["documents"]
    if set(doc) != {"docType", "issuerSigned", "deviceSigned"}:
        raise Reject("malformed: Document")
    prot, unprot, payload, sig = doc["issuerSigned"]["issuerAuth"]
    if X5CHAIN in unprot:
        raise Reject("malformed: x5chain left in the QR")
    ph = cbor2.loads(prot)
    if ph != {ALG: ES256, KID: hashlib.sha256(cert_der).digest()[:8]}:
        raise Reject("unknown_signer")
    cert = x509.load_der_x509_certificate(cert_der)
    if not verify_es256(cert.public_key(), sig, sig_structure(prot, payload)):
        raise Reject("bad_issuer_signature")
    mso = cbor2.loads(cbor2.loads(payload).value)
    if mso["docType"] != doc["docType"]:
        raise Reject("doctype_mismatch")
    elements = {}
    for item_bytes in doc["issuerSigned"]["nameSpaces"][namespace]:
        item = cbor2.loads(item_bytes.value)
        expected = mso["valueDigests"][namespace].get(item["digestID"])
        if expected != hashlib.sha256(dumps(item_bytes)).digest():
            raise Reject("bad_digest")
        elements[item["elementIdentifier"]] = item["elementValue"]
    dk = mso["deviceKeyInfo"]["deviceKey"]
    device_pub = ec.EllipticCurvePublicNumbers(int.from_bytes(dk[-2], "big"), int.from_bytes(dk[-3], "big"),
                                               ec.SECP256R1()).public_key()
    dprot, dunprot, dpayload, dsig = doc["deviceSigned"]["deviceAuth"]["deviceSignature"]
    if dpayload is not None or cbor2.loads(dprot) != {ALG: ES256} or dunprot != {}:
        raise Reject("malformed: device signature headers")
    da = dumps(tag24(["DeviceAuthentication", session_transcript(presented_at, nonce), doc["docType"],
                      doc["deviceSigned"]["nameSpaces"]]))
    if not verify_es256(device_pub, dsig, sig_structure(dprot, da)):
        raise Reject("bad_device_signature")
    return presented_at, nonce, elements


def selftest():
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    for plain, enc in ((b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0")):
        expect(b45encode(plain) == enc, f"b45encode({plain!r})")
        expect(b45decode(enc) == plain, f"b45decode({enc!r})")
    for bad in ("GGW", "A", "ab", ":::"):
        try:
            b45decode(bad)
            failures.append(f"b45decode accepted {bad!r}")
        except ValueError:
            pass

    issuer_key = ec.generate_private_key(ec.SECP256R1())
    device_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COUNTRY_NAME, "KW"),
                      x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "wq1 selftest DS")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(issuer_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(issuer_key, hashes.SHA256()))
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    ns = "kw.gov.paci.civil_id.1"
    claims = {"civil_id_number": "290041200123", "full_name_en": "Fatima Al-Mutairi", "birth_date": "1990-04-12",
              "age_over_18": True, "address_block": 7, "expiry_date": "2030-01-14"}
    disclose = ["full_name_en", "birth_date", "age_over_18", "address_block"]
    presented_at = int(now.timestamp())
    for nonce in (None, os.urandom(16)):
        doc, st = build(issuer_key, cert_der, device_key, ns, ns, claims, disclose, presented_at, nonce,
                        status=("https://status.example/kw/1", 42))
        text = wq1_text(presented_at, nonce, device_response(doc, keep_x5chain=False))
        expect(re.fullmatch(r"WQ1:[0-9A-Z $%*+\-./:]+", text) is not None, "WQ1 text alphabet")
        try:
            got_at, got_nonce, elements = check_wq1(text, cert_der, ns)
            expect(got_at == presented_at and got_nonce == nonce, "presentedAt/nonce round trip")
            expect(set(elements) == set(disclose), "only the disclosed elements are present")
            expect(elements["birth_date"] == CBORTag(1004, "1990-04-12"), "birth_date is a tag-1004 full-date")
            expect(elements["age_over_18"] is True and elements["address_block"] == 7, "bool/int values")
        except Reject as e:
            failures.append(f"own output rejected: {e}")
        expected = {"value": "bad_digest", "digest": "bad_digest", "device_sig": "bad_device_signature",
                    "issuer_sig": "bad_issuer_signature", "doctype": "doctype_mismatch"}
        for kind in TAMPER_KINDS:
            doc, _ = build(issuer_key, cert_der, device_key, ns, ns, claims, disclose, presented_at, nonce, tamper=kind)
            try:
                check_wq1(wq1_text(presented_at, nonce, device_response(doc, keep_x5chain=False)), cert_der, ns)
                failures.append(f"tamper {kind} was accepted")
            except Reject as e:
                expect(str(e) == expected[kind], f"tamper {kind}: rejected as {e}, expected {expected[kind]}")
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    print(json.dumps({"ok": not failures, "failures": failures}))
    return 0 if not failures else 1


# ------------------------------------------------------------------ command line
def main(argv):
    p = argparse.ArgumentParser(
        description="Independent WQ1 encoder (design/QR-PROFILE.md). Prints the WQ1 text on stdout.",
        epilog="exit codes: 0 ok, 1 self-test failure, 2 usage or IO error")
    p.add_argument("--selftest", action="store_true", help="check Base45 vectors and decode/verify own output")
    p.add_argument("--issuer-key", help="document signer private key (PEM, P-256)")
    p.add_argument("--issuer-cert", help="document signer certificate (DER or PEM)")
    p.add_argument("--device-key", help="device private key (PEM, P-256)")
    p.add_argument("--doctype")
    p.add_argument("--namespace")
    p.add_argument("--claims", help="JSON object of element identifier -> value")
    p.add_argument("--disclose", help="comma-separated element identifiers to disclose")
    p.add_argument("--presented-at", type=int, help="presentedAt, seconds since the epoch")
    p.add_argument("--nonce", help="challenge-mode nonce, hex (default: null)")
    p.add_argument("--keep-x5chain", action="store_true", help="keep x5chain in the QR's issuerAuth")
    p.add_argument("--valid-from", help="RFC 3339 (default: now)")
    p.add_argument("--valid-until", help="RFC 3339 (default: valid-from + 365 days)")
    p.add_argument("--signed", help="RFC 3339 (default: min(now, valid-from))")
    p.add_argument("--status-uri")
    p.add_argument("--status-idx", type=int)
    p.add_argument("--tamper", choices=TAMPER_KINDS, help="break the signed presentation in this way")
    p.add_argument("--device-response-out", metavar="FILE",
                   help="also write the DeviceResponse (x5chain kept, no envelope) as CBOR")
    p.add_argument("--transcript-out", metavar="FILE", help="also write the CBOR SessionTranscript")
    try:
        a = p.parse_args(argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    if a.selftest:
        return selftest()
    try:
        required = ("issuer_key", "issuer_cert", "device_key", "doctype", "namespace", "claims", "disclose", "presented_at")
        missing = [f"--{k.replace('_', '-')}" for k in required if getattr(a, k) is None]
        if missing:
            raise UsageError("missing " + ", ".join(missing))
        if (a.status_uri is None) != (a.status_idx is None):
            raise UsageError("--status-uri and --status-idx go together")
        if a.presented_at < 0 or (a.status_idx is not None and a.status_idx < 0):
            raise UsageError("--presented-at and --status-idx must be unsigned")
        nonce = None
        if a.nonce is not None:
            try:
                nonce = bytes.fromhex(a.nonce)
            except ValueError:
                raise UsageError("--nonce must be hex") from None
        with open(a.claims, encoding="utf-8") as f:
            claims = json.load(f)
        if not isinstance(claims, dict) or not claims:
            raise UsageError("claims JSON must be a non-empty object")
        disclose = [d for d in a.disclose.split(",") if d]
        unknown = [d for d in disclose if d not in claims]
        if unknown or len(set(disclose)) != len(disclose):
            raise UsageError(f"--disclose names unknown or repeated elements: {unknown or disclose}")
        issuer_key = load_private_key(a.issuer_key)
        device_key = load_private_key(a.device_key)
        cert_der = load_certificate(a.issuer_cert)
        if x509.load_der_x509_certificate(cert_der).public_key().public_numbers() != issuer_key.public_key().public_numbers():
            print("warning: --issuer-key does not match --issuer-cert", file=sys.stderr)
        doc, st = build(issuer_key, cert_der, device_key, a.doctype, a.namespace, claims, disclose, a.presented_at, nonce,
                        valid_from=a.valid_from and parse_time(a.valid_from, "--valid-from"),
                        valid_until=a.valid_until and parse_time(a.valid_until, "--valid-until"),
                        signed=a.signed and parse_time(a.signed, "--signed"),
                        status=(a.status_uri, a.status_idx) if a.status_uri is not None else None,
                        tamper=a.tamper)
        if a.device_response_out:
            with open(a.device_response_out, "wb") as f:
                f.write(dumps(device_response(doc, keep_x5chain=True)))
        if a.transcript_out:
            with open(a.transcript_out, "wb") as f:
                f.write(dumps(st))
        print(wq1_text(a.presented_at, nonce, device_response(doc, keep_x5chain=a.keep_x5chain)))
        return 0
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print(f"io/input error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
