import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';

// mailauth's canonicalisation (the error-prone part of DKIM) is used as is; only the h= list is ours. Neither
// mailauth's nor nodemailer's signer can oversign: both list a header name once per occurrence present, so a
// second List-Unsubscribe prepended in transit would still verify (RFC 6376 8.15, RFC 8058 4).
const require = createRequire(import.meta.url);
interface ParsedHeader {
  key: string;
  casedKey: string;
  line: Buffer;
}
const { parseHeaders, formatSignatureHeaderLine } = require('mailauth/lib/tools.js') as {
  parseHeaders(buf: Buffer): { parsed: ParsedHeader[] };
  formatSignatureHeaderLine(type: string, values: Record<string, unknown>, folded: boolean): string;
};
const { generateCanonicalizedHeader } = require('mailauth/lib/dkim/header/index.js') as {
  generateCanonicalizedHeader(
    type: string,
    lines: { keys: string; headers: ParsedHeader[] },
    opts: Record<string, unknown>,
  ): { canonicalizedHeader: Buffer; dkimHeaderOpts: Record<string, unknown> };
};
const { RelaxedHash } = require('mailauth/lib/dkim/body/relaxed.js') as {
  RelaxedHash: new (algo: string) => { update(b: Buffer): void; digest(enc: 'base64'): string };
};

/** The headers signed, and of those the ones also listed once more than present, so an added copy breaks the signature. */
export const DKIM_SIGNED_HEADERS = [
  'from',
  'to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'list-id',
  'list-unsubscribe',
  'list-unsubscribe-post',
] as const;
export const DKIM_OVERSIGNED_HEADERS = ['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post'] as const;

/** The signing identity: domain (d=), selector (s=) and the RSA or Ed25519 private key. */
export interface DkimKey {
  readonly domain: string;
  readonly selector: string;
  readonly privateKey: KeyObject;
}

/** Parses a PEM private key as configured (`\n` escapes allowed); throws with the variable's name when it is not one. */
export function dkimKeyFrom(domain: string, selector: string, pem: string): DkimKey {
  try {
    return { domain, selector, privateKey: createPrivateKey(pem.replace(/\\n/g, '\n')) };
  } catch {
    throw new Error(
      'DKIM_PRIVATE_KEY is not a PEM private key; paste the key with its BEGIN/END lines (\\n for line breaks)',
    );
  }
}

/** Signs a raw RFC 5322 message (relaxed/relaxed) and returns it with the DKIM-Signature header prepended. */
export function dkimSign(raw: Buffer, key: DkimKey, now: Date): Buffer {
  let split = raw.indexOf('\r\n\r\n');
  if (split < 0) split = raw.length;
  const headers = parseHeaders(raw.subarray(0, split + 2)).parsed;
  const hasher = new RelaxedHash('sha256');
  hasher.update(raw.subarray(Math.min(split + 4, raw.length)));
  const bodyHash = hasher.digest('base64');
  // Per name, every occurrence bottom-up (the order a verifier consumes them), then one null entry if oversigned.
  const lines: ParsedHeader[] = [];
  const keys: string[] = [];
  for (const name of DKIM_SIGNED_HEADERS) {
    for (const h of headers.filter((x) => x.key === name).reverse()) {
      lines.push(h);
      keys.push(h.casedKey);
    }
    if ((DKIM_OVERSIGNED_HEADERS as readonly string[]).includes(name)) keys.push(name);
  }
  const algorithm = key.privateKey.asymmetricKeyType === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
  const { canonicalizedHeader, dkimHeaderOpts } = generateCanonicalizedHeader(
    'dkim',
    { keys: keys.join(': '), headers: lines },
    {
      signingDomain: key.domain,
      selector: key.selector,
      algorithm,
      canonicalization: 'relaxed/relaxed',
      bodyHash,
      signTime: now,
    },
  );
  const signature = sign(
    algorithm === 'ed25519-sha256' ? null : 'sha256',
    canonicalizedHeader,
    key.privateKey,
  ).toString('base64');
  const header = formatSignatureHeaderLine('DKIM', { b: signature, ...dkimHeaderOpts }, true);
  return Buffer.concat([Buffer.from(`${header}\r\n`), raw]);
}
