// One engine and API for a subject-links test file, with link-token signing and the sink's parsed mail per address.
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { type LinkTokens } from '../../infra/tokens.js';
import { useEngine } from '../helpers/engine.js';
import { useApi } from '../helpers/api.js';

export const engine = useEngine();
export const api = useApi(engine);
export const form = { 'content-type': 'application/x-www-form-urlencoded' };
// A service that prefers JSON gets the error body with its issues; a browser gets a page.
export const asJson = { accept: 'application/json' };
export const oneClick = 'List-Unsubscribe=One-Click';
export type Err = { error: { code: string; message: string; issues?: { path: string }[] } };
export const sign = (claims: Parameters<LinkTokens['sign']>[0], ttlDays?: number) =>
  engine.services.tokens.sign(claims, ttlDays);
export const unsubToken = async (ref: string, purpose = 'marketing.email.newsletter') =>
  sign({
    scope: 'unsubscribe',
    sub: ref as never,
    purpose,
    channel: 'email',
    campaign: 'c',
    decision: '01J00000000000000000000000',
  });

export async function mails(address: string) {
  return Promise.all(
    engine.sink.received.filter((m) => m.envelopeTo.includes(address)).map((m) => simpleParser(readFileSync(m.file))),
  );
}
