#!/usr/bin/env node
// Issue an ISO 18013-5 mDL with @auth0/mdl or @owf/mdoc under a freshly made IACA root, and present it
// as a DeviceResponse with a device signature over the WQ1 SessionTranscript. See README.md.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  UsageError, finish, runMain, toPem, hex, sha256, makeCertificate, owfContext, describeValue,
  wrapTag24, wq1SessionTranscript, owfSessionTranscript,
} from './lib/common.mjs';

const USAGE = `usage: node mdoc_issue.mjs --lib auth0|owf --out DIR [--iaca-out] [--presented-at UNIX] [--nonce HEX]
  Creates an IACA root, a document signer (DS) under it and a device key, issues an
  org.iso.18013.5.1.mDL with the given library and builds a DeviceResponse (device signature) over
  SessionTranscript = [null, null, ["WathiqQR", presentedAt, nonce/null]].
  --iaca-out        only create the IACA root (iaca.pem, iaca.der, iaca_key.pem) in DIR and stop
  --presented-at    presentedAt in the transcript (default: now, seconds)
  --nonce HEX       challenge-mode nonce in the transcript (default: null)
  Writes to DIR: iaca.pem iaca.der iaca_key.pem ds.pem ds.der ds_key.pem device_key.jwk.json
  device_key_public.jwk.json device_key.pem device_response.cbor session_transcript.cbor
  issuer_signed.cbor meta.json. Prints {"ok":true,...}. Exit 0 ok, 2 usage/IO error.
`;

const DOC_TYPE = 'org.iso.18013.5.1.mDL';
const NAMESPACE = 'org.iso.18013.5.1';
const FULL_DATES = ['birth_date', 'issue_date', 'expiry_date'];
const CLAIMS = {
  family_name: 'Al-Mutairi',
  given_name: 'Fatima',
  birth_date: '1990-04-12',
  issue_date: '2025-01-15',
  expiry_date: '2030-01-14',
  document_number: 'KW-DL-0012345',
  issuing_country: 'KW',
  age_over_18: true,
};

const ec = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pkcs8 = (k) => k.export({ type: 'pkcs8', format: 'pem' });

async function issueAuth0({ ds, dsDer, devicePub, devicePriv, validity, transcript, kid }) {
  const mdl = await import('@auth0/mdl');
  const cbor = await import('@auth0/mdl/lib/cbor/index.js');
  const values = Object.fromEntries(Object.entries(CLAIMS).map(([k, v]) => [k, FULL_DATES.includes(k) ? new cbor.DateOnly(v) : v]));
  const issued = await new mdl.Document(DOC_TYPE)
    .addIssuerNameSpace(NAMESPACE, values)
    .useDigestAlgorithm('SHA-256')
    .addValidityInfo(validity)
    .addDeviceKeyInfo({ deviceKey: devicePub })
    .sign({ issuerPrivateKey: { ...ds.privateKey.export({ format: 'jwk' }), alg: 'ES256' }, issuerCertificate: dsDer, alg: 'ES256', kid });
  const pd = {
    id: 'wathiq-interop',
    input_descriptors: [{
      id: DOC_TYPE,
      format: { mso_mdoc: { alg: ['ES256'] } },
      constraints: {
        limit_disclosure: 'required',
        fields: Object.keys(CLAIMS).map((e) => ({ path: [`$['${NAMESPACE}']['${e}']`], intent_to_retain: false })),
      },
    }],
  };
  const response = await mdl.DeviceResponse.from(new mdl.MDoc([issued]))
    .usingPresentationDefinition(pd)
    .usingSessionTranscriptBytes(wrapTag24(transcript)) // @auth0/mdl wants SessionTranscriptBytes (tag 24)
    .authenticateWithSignature({ ...devicePriv, alg: 'ES256', kid: 'device' }, 'ES256')
    .sign();
  const issuerSigned = cbor.cborEncode(new Map([
    ['nameSpaces', new Map([[NAMESPACE, issued.issuerSigned.nameSpaces[NAMESPACE].map((i) => i.dataItem)]])],
    ['issuerAuth', issued.issuerSigned.issuerAuth.getContentForEncoding()],
  ]));
  const elements = Object.fromEntries(issued.issuerSigned.nameSpaces[NAMESPACE].map((i) => [i.elementIdentifier, describeValue(i.elementValue, cbor.DateOnly)]));
  return { deviceResponse: response.encode(), issuerSigned, elements };
}

async function issueOwf({ ds, dsDer, devicePub, devicePriv, validity, transcript }) {
  const owf = await import('@owf/mdoc');
  const ctx = owfContext(owf);
  const values = Object.fromEntries(Object.entries(CLAIMS).map(([k, v]) => [k, FULL_DATES.includes(k) ? new owf.DateOnly(v) : v]));
  const issuerSigned = await new owf.Issuer(DOC_TYPE, ctx)
    .addIssuerNamespace(NAMESPACE, values)
    .sign({
      signingKey: owf.CoseKey.fromJwk({ ...ds.privateKey.export({ format: 'jwk' }), alg: 'ES256' }),
      algorithm: owf.SignatureAlgorithm.ES256,
      digestAlgorithm: 'SHA-256',
      validityInfo: validity,
      deviceKeyInfo: { deviceKey: owf.DeviceKey.fromJwk(devicePub) },
      certificates: [dsDer],
    });
  const deviceRequest = owf.DeviceRequest.create({
    docRequests: [owf.DocRequest.create({
      itemsRequest: owf.ItemsRequest.create({
        docType: DOC_TYPE,
        namespaces: { [NAMESPACE]: Object.fromEntries(Object.keys(CLAIMS).map((k) => [k, false])) },
      }),
    })],
  });
  const response = await owf.Holder.createDeviceResponseForDeviceRequest({
    deviceRequest,
    sessionTranscript: owfSessionTranscript(owf, transcript),
    issuerSigned: [issuerSigned],
    signature: { signingKey: owf.CoseKey.fromJwk({ ...devicePriv, alg: 'ES256' }) }, // the JWK needs alg
  }, ctx);
  const elements = Object.fromEntries(issuerSigned.getIssuerNamespace(NAMESPACE).map((i) => [i.elementIdentifier, describeValue(i.elementValue, owf.DateOnly)]));
  return { deviceResponse: response.encode(), issuerSigned: issuerSigned.encode(), elements };
}

async function main() {
  const { values: a } = parseArgs({
    options: {
      lib: { type: 'string' }, out: { type: 'string' }, 'iaca-out': { type: 'boolean' },
      'presented-at': { type: 'string' }, nonce: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (a.help) { process.stdout.write(USAGE); return; }
  if (!a.out) throw new UsageError('--out is required');
  if (!a['iaca-out'] && !['auth0', 'owf'].includes(a.lib)) throw new UsageError('--lib must be auth0 or owf');
  if (a['presented-at'] !== undefined && !/^\d+$/.test(a['presented-at'])) throw new UsageError('--presented-at must be an unsigned integer');
  if (a.nonce !== undefined && !/^([0-9a-fA-F]{2})+$/.test(a.nonce)) throw new UsageError('--nonce must be hex');
  fs.mkdirSync(a.out, { recursive: true });
  const write = (name, data) => fs.writeFileSync(path.join(a.out, name), data);

  const nowMs = Math.floor(Date.now() / 1000) * 1000;
  const day = 86400e3;
  const iaca = ec();
  const iacaName = [['C', 'KW'], ['O', 'Wathiq interop test'], ['CN', `Wathiq interop IACA ${hex(crypto.randomBytes(4))}`]];
  const iacaDer = makeCertificate({
    kind: 'iaca', subject: iacaName, issuer: iacaName, publicKey: iaca.publicKey, signingKey: iaca.privateKey,
    notBefore: new Date(nowMs - day), notAfter: new Date(nowMs + 3650 * day),
  });
  write('iaca.der', iacaDer);
  write('iaca.pem', toPem(iacaDer));
  write('iaca_key.pem', pkcs8(iaca.privateKey));
  if (a['iaca-out']) {
    finish(0, { ok: true, out: a.out, iaca: 'iaca.pem' });
    return;
  }

  const ds = ec();
  const dsDer = makeCertificate({
    kind: 'ds', subject: [['C', 'KW'], ['O', 'Wathiq interop test'], ['CN', 'Wathiq interop document signer']], issuer: iacaName,
    publicKey: ds.publicKey, signingKey: iaca.privateKey, issuerPublicKey: iaca.publicKey,
    notBefore: new Date(nowMs - day), notAfter: new Date(nowMs + 730 * day),
  });
  write('ds.der', dsDer);
  write('ds.pem', toPem(dsDer));
  write('ds_key.pem', pkcs8(ds.privateKey));

  const device = ec();
  const devicePriv = device.privateKey.export({ format: 'jwk' });
  const devicePub = device.publicKey.export({ format: 'jwk' });
  write('device_key.jwk.json', JSON.stringify(devicePriv, null, 2) + '\n');
  write('device_key_public.jwk.json', JSON.stringify(devicePub, null, 2) + '\n');
  write('device_key.pem', pkcs8(device.privateKey));

  const presentedAt = a['presented-at'] !== undefined ? Number(a['presented-at']) : nowMs / 1000;
  const nonce = a.nonce ? Buffer.from(a.nonce, 'hex') : null;
  const transcript = wq1SessionTranscript(presentedAt, nonce);
  const validity = { signed: new Date(nowMs - 3600e3), validFrom: new Date(nowMs - 3600e3), validUntil: new Date(nowMs + 365 * day) };
  const kid = sha256(dsDer).slice(0, 8);

  const t0 = performance.now();
  const args = { ds, dsDer, devicePub, devicePriv, validity, transcript, kid };
  const r = a.lib === 'auth0' ? await issueAuth0(args) : await issueOwf(args);
  const ms = performance.now() - t0;

  write('device_response.cbor', r.deviceResponse);
  write('session_transcript.cbor', transcript);
  write('issuer_signed.cbor', r.issuerSigned);
  const meta = {
    lib: a.lib,
    docType: DOC_TYPE,
    presentedAt,
    nonce: nonce ? hex(nonce) : null,
    validityInfo: Object.fromEntries(Object.entries(validity).map(([k, v]) => [k, describeValue(v).value])),
    dsKidHex: hex(kid),
    elements: { [NAMESPACE]: Object.fromEntries(Object.entries(r.elements).map(([k, d]) => [k, d.value])) },
    types: { [NAMESPACE]: Object.fromEntries(Object.entries(r.elements).map(([k, d]) => [k, d.type])) },
  };
  write('meta.json', JSON.stringify(meta, null, 2) + '\n');
  finish(0, { ok: true, out: a.out, lib: a.lib, docType: DOC_TYPE, presentedAt, deviceResponseBytes: r.deviceResponse.length, issueMs: Math.round(ms) });
}

runMain(USAGE, main);
