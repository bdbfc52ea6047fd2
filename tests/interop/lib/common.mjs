// Shared helpers for the interop peers: CLI plumbing, a minimal X.509 (DER) writer over node:crypto,
// the crypto/X.509 context that @owf/mdoc needs, and CBOR value -> JSON conversion.
// No dependencies beyond Node's standard library.
import crypto from 'node:crypto';
import fs from 'node:fs';

// ---------------------------------------------------------------- CLI plumbing
export class UsageError extends Error {}

export function finish(code, obj) {
  if (obj !== undefined) process.stdout.write(JSON.stringify(obj) + '\n');
  process.exitCode = code;
}

// Runs main, then exits as soon as stdout and stderr have drained: a handle a peer library leaves open
// must not keep the process alive after its answer is written.
export async function runMain(usage, main) {
  await runMainInner(usage, main);
  const code = process.exitCode ?? 0;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

async function runMainInner(usage, main) {
  try {
    await main();
  } catch (err) {
    if (err instanceof UsageError || err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
        err?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || err?.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      process.stderr.write(`error: ${err.message}\n${usage}`);
      process.exitCode = 2;
    } else if (err?.code === 'ENOENT' || err?.code === 'EACCES' || err?.code === 'EISDIR') {
      process.stderr.write(`io error: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`unexpected error: ${err?.stack ?? err}\n`);
      process.exitCode = 2;
    }
  }
}

export function readFile(path) {
  return new Uint8Array(fs.readFileSync(path));
}

export function pemBlocks(text, label = 'CERTIFICATE') {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  return [...text.matchAll(re)].map((m) => new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64')));
}

export function toPem(der, label = 'CERTIFICATE') {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export const hex = (bytes) => Buffer.from(bytes).toString('hex');
export const sha256 = (bytes) => new Uint8Array(crypto.createHash('sha256').update(bytes).digest());

// ---------------------------------------------------------------- minimal DER / X.509 writer
const derLen = (n) => {
  if (n < 0x80) return Buffer.from([n]);
  const b = [];
  for (; n > 0; n = Math.floor(n / 256)) b.unshift(n & 0xff);
  return Buffer.from([0x80 | b.length, ...b]);
};
const tlv = (tag, ...parts) => {
  const body = Buffer.concat(parts.map((p) => Buffer.from(p)));
  return Buffer.concat([Buffer.from([tag]), derLen(body.length), body]);
};
const seq = (...p) => tlv(0x30, ...p);
const set = (...p) => tlv(0x31, ...p);
const oid = (dotted) => {
  const a = dotted.split('.').map(Number);
  const out = [40 * a[0] + a[1]];
  for (const v of a.slice(2)) {
    const b = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) b.unshift((x & 0x7f) | 0x80);
    out.push(...b);
  }
  return tlv(0x06, Buffer.from(out));
};
const uint = (buf) => tlv(0x02, buf[0] & 0x80 ? Buffer.concat([Buffer.from([0]), buf]) : buf);
const bool = (v) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (b) => tlv(0x04, b);
const time = (d) => {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(s.slice(2))) : tlv(0x18, Buffer.from(s));
};
const NAME_OIDS = { C: '2.5.4.6', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' };
const name = (rdns) =>
  seq(...rdns.map(([k, v]) => set(seq(oid(NAME_OIDS[k]), tlv(k === 'C' ? 0x13 : 0x0c, Buffer.from(v, 'utf8'))))));
const ext = (id, critical, value) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

export const EKU_MDL_DS = '1.0.18013.5.1.2'; // ISO/IEC 18013-5 document signer extended key usage

function rawPoint(publicKey) {
  const j = publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(j.x, 'base64url'), Buffer.from(j.y, 'base64url')]);
}

/**
 * Build an ECDSA-SHA256-signed X.509 v3 certificate.
 * kind 'iaca': self-signed root (basicConstraints cA pathLen 0, keyUsage keyCertSign|cRLSign, SKI).
 * kind 'ds': document signer (keyUsage digitalSignature, EKU 1.0.18013.5.1.2, SKI, AKI).
 */
export function makeCertificate({ kind, subject, issuer, publicKey, signingKey, issuerPublicKey, notBefore, notAfter }) {
  const ski = crypto.createHash('sha1').update(rawPoint(publicKey)).digest();
  const exts = [];
  if (kind === 'iaca') {
    exts.push(ext('2.5.29.19', true, seq(bool(true), uint(Buffer.from([0])))));
    exts.push(ext('2.5.29.15', true, tlv(0x03, Buffer.from([0x01, 0x06])))); // keyCertSign, cRLSign
    exts.push(ext('2.5.29.14', false, octets(ski)));
  } else {
    const aki = crypto.createHash('sha1').update(rawPoint(issuerPublicKey)).digest();
    exts.push(ext('2.5.29.15', true, tlv(0x03, Buffer.from([0x07, 0x80])))); // digitalSignature
    exts.push(ext('2.5.29.37', true, seq(oid(EKU_MDL_DS))));
    exts.push(ext('2.5.29.14', false, octets(ski)));
    exts.push(ext('2.5.29.35', false, seq(tlv(0x80, aki))));
  }
  const serial = crypto.randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x10;
  const sigAlg = seq(oid('1.2.840.10045.4.3.2')); // ecdsa-with-SHA256
  const tbs = seq(
    tlv(0xa0, uint(Buffer.from([2]))),
    uint(serial),
    sigAlg,
    name(issuer),
    seq(time(notBefore), time(notAfter)),
    name(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...exts)),
  );
  const sig = crypto.sign('sha256', tbs, signingKey);
  return new Uint8Array(seq(tbs, sigAlg, tlv(0x03, Buffer.from([0]), sig)));
}

// ---------------------------------------------------------------- X.509 chain check over node:crypto
/** Throws unless x5chain (leaf first) chains to one of the trusted certificates and all are valid at `now`. */
export function verifyChain({ trustedCertificates, x5chain, now = new Date() }) {
  if (!x5chain?.length) throw new Error('empty x5chain');
  if (!trustedCertificates?.length) throw new Error('no trusted certificates');
  const parse = (der) => new crypto.X509Certificate(Buffer.from(der));
  const chain = x5chain.map(parse);
  const trusted = trustedCertificates.map(parse);
  const inValidity = (c) => now >= new Date(c.validFrom) && now <= new Date(c.validTo);
  const issuedBy = (c, issuer) => c.checkIssued(issuer) && issuer.ca && c.verify(issuer.publicKey);
  for (const [i, c] of chain.entries()) {
    if (!inValidity(c)) throw new Error(`certificate ${i} (${c.subject.replace(/\n/g, ', ')}) is not valid now`);
    if (i + 1 < chain.length && !issuedBy(c, chain[i + 1])) throw new Error(`certificate ${i} is not issued by certificate ${i + 1}`);
  }
  const last = chain[chain.length - 1];
  if (trusted.some((t) => Buffer.compare(t.raw, last.raw) === 0)) return;
  const anchor = trusted.find((t) => issuedBy(last, t));
  if (!anchor) throw new Error('certificate chain does not lead to a trusted IACA certificate');
  if (!inValidity(anchor)) throw new Error('trusted IACA certificate is not valid now');
}

// ---------------------------------------------------------------- @owf/mdoc context over node:crypto
const COSE_ALG_NAMES = { [-7]: 'ES256', [-35]: 'ES384', [-36]: 'ES512', [-8]: 'EdDSA' };
const ALG_PARAMS = {
  ES256: { hash: 'sha256', crv: 'P-256' },
  ES384: { hash: 'sha384', crv: 'P-384' },
  ES512: { hash: 'sha512', crv: 'P-521' },
  EdDSA: { hash: null, crv: 'Ed25519' },
};
const HASHES = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function coseKeyToNodeKey(coseKey, withPrivate) {
  const j = coseKey.jwk;
  const jwk = { kty: j.kty, crv: j.crv, x: j.x };
  if (j.y) jwk.y = j.y;
  if (withPrivate) jwk.d = j.d;
  return withPrivate ? crypto.createPrivateKey({ key: jwk, format: 'jwk' }) : crypto.createPublicKey({ key: jwk, format: 'jwk' });
}

function algParams(alg, coseKey) {
  const name = typeof alg === 'number' ? COSE_ALG_NAMES[alg] : alg;
  const p = ALG_PARAMS[name];
  if (!p) throw new Error(`unsupported COSE algorithm ${alg}`);
  if (coseKey.jwk.crv !== p.crv) throw new Error(`key curve ${coseKey.jwk.crv} does not match algorithm ${name}`);
  return p;
}

/** The MdocContext @owf/mdoc 0.6.0 asks for, implemented with node:crypto only. */
export function owfContext(owf) {
  return {
    crypto: {
      random: (n) => new Uint8Array(crypto.randomBytes(n)),
      digest: ({ digestAlgorithm, bytes }) => {
        if (!HASHES[digestAlgorithm]) throw new Error(`unsupported digest ${digestAlgorithm}`);
        return new Uint8Array(crypto.createHash(HASHES[digestAlgorithm]).update(bytes).digest());
      },
      calculateEphemeralMacKey: () => { throw new Error('device MAC is not used by these peers'); },
    },
    cose: {
      sign1: {
        sign: ({ toBeSigned, key, algorithm }) => {
          const p = algParams(algorithm ?? key.algorithm, key);
          return new Uint8Array(crypto.sign(p.hash, toBeSigned, { key: coseKeyToNodeKey(key, true), dsaEncoding: 'ieee-p1363' }));
        },
        verify: ({ key, sign1 }) => {
          const p = algParams(sign1.signatureAlgorithmName, key);
          return crypto.verify(p.hash, sign1.toBeSigned, { key: coseKeyToNodeKey(key, false), dsaEncoding: 'ieee-p1363' }, sign1.signature);
        },
      },
      mac0: {
        sign: () => { throw new Error('MAC0 is not used by these peers'); },
        verify: () => { throw new Error('MAC0 is not used by these peers'); },
      },
    },
    x509: {
      getIssuerNameField: ({ certificate, field }) =>
        new crypto.X509Certificate(Buffer.from(certificate)).issuer.split('\n')
          .filter((l) => l.startsWith(`${field}=`)).map((l) => l.slice(field.length + 1)),
      getPublicKey: ({ certificate, alg }) => {
        const jwk = new crypto.X509Certificate(Buffer.from(certificate)).publicKey.export({ format: 'jwk' });
        return owf.CoseKey.fromJwk({ ...jwk, alg });
      },
      verifyCertificateChain: (input) => verifyChain(input),
      getCertificateData: ({ certificate }) => {
        const c = new crypto.X509Certificate(Buffer.from(certificate));
        return {
          issuerName: c.issuer.replace(/\n/g, ', '),
          subjectName: c.subject.replace(/\n/g, ', '),
          serialNumber: c.serialNumber,
          thumbprint: hex(sha256(c.raw)),
          notBefore: new Date(c.validFrom),
          notAfter: new Date(c.validTo),
          pem: c.toString(),
        };
      },
    },
  };
}

// ---------------------------------------------------------------- CBOR value -> JSON
/**
 * Plain JSON for an element value plus its CBOR type name. full-date (tag 1004) -> "YYYY-MM-DD",
 * tdate (tag 0) -> RFC 3339 without fractions, bstr -> lowercase hex.
 */
export function describeValue(v, DateOnly) {
  if (v === null || v === undefined) return { value: null, type: 'null' };
  if (DateOnly && v instanceof DateOnly) return { value: v.toISOString(), type: 'full-date' };
  if (v instanceof Date) return { value: v.toISOString().replace(/\.\d{3}Z$/, 'Z'), type: 'tdate' };
  if (v instanceof Uint8Array) return { value: hex(v), type: 'bstr' };
  if (typeof v === 'boolean') return { value: v, type: 'bool' };
  if (typeof v === 'bigint') return { value: v.toString(), type: 'int' };
  if (typeof v === 'number') return { value: v, type: Number.isInteger(v) ? 'int' : 'float' };
  if (typeof v === 'string') return { value: v, type: 'tstr' };
  if (Array.isArray(v)) return { value: v.map((x) => describeValue(x, DateOnly).value), type: 'array' };
  if (v instanceof Map) {
    return { value: Object.fromEntries([...v].map(([k, x]) => [String(k), describeValue(x, DateOnly).value])), type: 'map' };
  }
  if (typeof v === 'object' && 'tag' in v && 'value' in v) {
    return { value: { tag: v.tag, value: describeValue(v.value, DateOnly).value }, type: `tag${v.tag}` };
  }
  if (typeof v === 'object') {
    return { value: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describeValue(x, DateOnly).value])), type: 'map' };
  }
  return { value: String(v), type: typeof v };
}

// ---------------------------------------------------------------- session transcript helpers
/** Accept either SessionTranscript CBOR or SessionTranscriptBytes (#6.24(bstr .cbor SessionTranscript)). */
export function unwrapTag24(bytes) {
  if (bytes[0] !== 0xd8 || bytes[1] !== 0x18) return bytes;
  const ai = bytes[2] & 0x1f;
  if ((bytes[2] >> 5) !== 2) throw new UsageError('transcript: tag 24 must wrap a byte string');
  let off = 3;
  let len = ai;
  if (ai === 24) { len = bytes[3]; off = 4; } else if (ai === 25) { len = (bytes[3] << 8) | bytes[4]; off = 5; } else if (ai === 26) {
    len = ((bytes[3] << 24) >>> 0) + (bytes[4] << 16) + (bytes[5] << 8) + bytes[6]; off = 7;
  } else if (ai > 26) throw new UsageError('transcript: unsupported byte-string length');
  if (off + len !== bytes.length) throw new UsageError('transcript: trailing or missing bytes after tag 24');
  return bytes.subarray(off);
}

/** #6.24(bstr .cbor x) for already-encoded x. */
export function wrapTag24(encoded) {
  const n = encoded.length;
  let head;
  if (n < 24) head = [0x40 | n];
  else if (n < 0x100) head = [0x58, n];
  else if (n < 0x10000) head = [0x59, n >> 8, n & 0xff];
  else head = [0x5a, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return new Uint8Array([0xd8, 0x18, ...head, ...encoded]);
}

/** SessionTranscript of the WQ1 profile: [null, null, ["WathiqQR", presentedAt, nonce / null]], deterministic CBOR. */
export function wq1SessionTranscript(presentedAt, nonce = null) {
  const uint = (n) => {
    if (!Number.isSafeInteger(n) || n < 0) throw new UsageError('presentedAt must be an unsigned integer');
    if (n < 24) return [n];
    if (n < 0x100) return [0x18, n];
    if (n < 0x10000) return [0x19, n >> 8, n & 0xff];
    if (n < 0x100000000) return [0x1a, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
    const hi = Math.floor(n / 0x100000000);
    return [0x1b, 0, 0, (hi >> 8) & 0xff, hi & 0xff, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  };
  const bstr = (b) => {
    if (b.length >= 24) throw new UsageError('nonce longer than 23 bytes is not supported here');
    return [0x40 | b.length, ...b];
  };
  return new Uint8Array([
    0x83, 0xf6, 0xf6, 0x83, 0x68, ...Buffer.from('WathiqQR'), ...uint(presentedAt), ...(nonce ? bstr(nonce) : [0xf6]),
  ]);
}

/**
 * @owf/mdoc only decodes SessionTranscripts whose handover it knows (QR/NFC/OID4VP...). For any other
 * handover (such as the WQ1 one) build the SessionTranscript object around an opaque Handover subclass
 * that re-emits the decoded handover as is.
 */
export function owfSessionTranscript(owf, raw) {
  try {
    return owf.SessionTranscript.decode(raw);
  } catch { /* not a handover @owf/mdoc knows */ }
  const decoded = owf.cborDecode(raw);
  if (!Array.isArray(decoded) || decoded.length !== 3) throw new UsageError('transcript is not a 3-element SessionTranscript array');
  if (decoded[0] !== null || decoded[1] !== null) {
    throw new UsageError('transcript with DeviceEngagement/EReaderKey and an unknown handover is not supported');
  }
  const Handover = Object.getPrototypeOf(owf.QrHandover);
  class OpaqueHandover extends Handover {
    get encodedStructure() { return this.structure; }
    get requiresReaderKey() { return false; }
    get requiresDeviceEngagement() { return false; }
  }
  return owf.SessionTranscript.create({ handover: new OpaqueHandover(decoded[2]) });
}
