#!/usr/bin/env node
// Verify an ISO 18013-5 DeviceResponse (device signature) with @auth0/mdl or @owf/mdoc. See README.md.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import {
  UsageError, finish, runMain, readFile, pemBlocks, toPem, describeValue, owfContext, unwrapTag24, wrapTag24,
  owfSessionTranscript,
} from './lib/common.mjs';

const USAGE = `usage: node mdoc_verify.mjs --lib auth0|owf --iaca FILE.pem --response FILE.cbor --transcript FILE.cbor [--repeat N]
  Verifies a DeviceResponse: IACA -> DS chain (x5chain in issuerAuth), issuer signature, value digests,
  docType, validity, and the device signature over the given SessionTranscript. The transcript file holds
  the CBOR SessionTranscript (or SessionTranscriptBytes, #6.24(bstr .cbor SessionTranscript)).
  --iaca may hold several PEM certificates (all trusted). --repeat N runs the verification N times and
  reports msPerVerify.
  Prints {"ok":true,"docType":...,"elements":{namespace:{id:value}},"types":{...}} and exits 0, or
  {"ok":false,"error":...,"failures":[...]} and exits 1; exits 2 on usage or IO error.
`;

function summarize(docs, DateOnly) {
  // docs: [{ docType, nameSpaces: Map|Object ns -> [{elementIdentifier, elementValue}] }]
  const [first] = docs;
  const elements = {};
  const types = {};
  for (const [ns, items] of first.nameSpaces) {
    elements[ns] = {};
    types[ns] = {};
    for (const item of items) {
      const d = describeValue(item.elementValue, DateOnly);
      elements[ns][item.elementIdentifier] = d.value;
      types[ns][item.elementIdentifier] = d.type;
    }
  }
  return { docType: first.docType, documentCount: docs.length, elements, types };
}

async function verifyAuth0(response, transcript, iacaDers) {
  const mdl = await import('@auth0/mdl');
  const cbor = await import('@auth0/mdl/lib/cbor/index.js');
  const failures = [];
  const verifier = new mdl.Verifier(iacaDers.map((d) => toPem(d)));
  const mdoc = await verifier.verify(response, {
    encodedSessionTranscript: wrapTag24(transcript), // @auth0/mdl wants SessionTranscriptBytes (tag 24)
    onCheck: (c) => { if (c.status === 'FAILED') failures.push(c.reason ? `${c.check}: ${c.reason}` : c.check); },
  });
  if (mdoc.status !== 0) failures.push(`DeviceResponse status is ${mdoc.status}`);
  if (!mdoc.documents?.length) failures.push('no documents');
  const warnings = [];
  if (Buffer.compare(Buffer.from(cbor.cborEncode(cbor.cborDecode(transcript))), Buffer.from(transcript)) !== 0) {
    warnings.push('@auth0/mdl re-encodes the SessionTranscript differently from the given bytes');
  }
  if (failures.length) return { failures, warnings };
  const docs = mdoc.documents.map((d) => ({ docType: d.docType, nameSpaces: Object.entries(d.issuerSigned.nameSpaces) }));
  return { summary: summarize(docs, cbor.DateOnly), warnings };
}

async function verifyOwf(response, transcript, iacaDers) {
  const owf = await import('@owf/mdoc');
  const ctx = owfContext(owf);
  const failures = [];
  const sessionTranscript = owfSessionTranscript(owf, transcript);
  const dr = owf.DeviceResponse.decode(response);
  await owf.Verifier.verifyDeviceResponse({
    deviceResponse: dr,
    sessionTranscript,
    trustedCertificates: iacaDers,
    onCheck: (c) => { if (c.status === 'FAILED') failures.push(c.reason ? `${c.check}: ${c.reason}` : c.check); },
  }, ctx);
  if (dr.status !== 0) failures.push(`DeviceResponse status is ${dr.status}`);
  if (!dr.documents?.length) failures.push('no documents');
  // @owf/mdoc 0.6.0 does not compare the Document's docType with the MSO's (ISO 18013-5 requires it).
  for (const d of dr.documents ?? []) {
    const msoDocType = d.issuerSigned.issuerAuth.mobileSecurityObject.docType;
    if (msoDocType !== d.docType) failures.push(`docType ${d.docType} does not match the MSO docType ${msoDocType}`);
  }
  const warnings = [];
  if (Buffer.compare(Buffer.from(owf.cborEncode(sessionTranscript.encodedStructure)), Buffer.from(transcript)) !== 0) {
    warnings.push('@owf/mdoc re-encodes the SessionTranscript differently from the given bytes');
  }
  if (failures.length) return { failures, warnings };
  const docs = dr.documents.map((d) => ({ docType: d.docType, nameSpaces: [...d.issuerSigned.issuerNamespaces.issuerNamespaces] }));
  return { summary: summarize(docs, owf.DateOnly), warnings };
}

async function main() {
  const { values: a } = parseArgs({
    options: {
      lib: { type: 'string' }, iaca: { type: 'string' }, response: { type: 'string' }, transcript: { type: 'string' },
      repeat: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (a.help) { process.stdout.write(USAGE); return; }
  if (!['auth0', 'owf'].includes(a.lib)) throw new UsageError('--lib must be auth0 or owf');
  for (const k of ['iaca', 'response', 'transcript']) if (!a[k]) throw new UsageError(`--${k} is required`);
  const repeat = a.repeat === undefined ? 1 : Number(a.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError('--repeat must be a positive integer');
  const iacaDers = pemBlocks(fs.readFileSync(a.iaca, 'utf8'));
  if (!iacaDers.length) throw new UsageError(`${a.iaca} holds no PEM certificate`);
  const response = readFile(a.response);
  const transcript = unwrapTag24(readFile(a.transcript));

  const verify = a.lib === 'auth0' ? verifyAuth0 : verifyOwf;
  let r;
  const t0 = performance.now();
  for (let i = 0; i < repeat; i++) {
    try {
      r = await verify(response, transcript, iacaDers);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      r = { failures: [`${err?.name ?? 'Error'}: ${err?.message ?? err}`], warnings: [] };
    }
    if (r.failures) break;
  }
  const msPerVerify = (performance.now() - t0) / repeat;
  const timing = repeat > 1 ? { msPerVerify: Number(msPerVerify.toFixed(3)) } : {};
  const warnings = r.warnings?.length ? { warnings: r.warnings } : {};
  if (r.failures) {
    finish(1, { ok: false, lib: a.lib, error: r.failures[0], failures: r.failures, ...warnings });
  } else {
    finish(0, { ok: true, lib: a.lib, ...r.summary, ...timing, ...warnings });
  }
}

runMain(USAGE, main);
