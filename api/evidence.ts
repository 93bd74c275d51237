import { createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ConsentEvent } from '../domain/consent.js';

// Domain separation from subject refs and address hashes, which use the same key.
const IP_CONTEXT = 'consentflow/ip-hash/v1\0';
const UA_MAX = 256;

/** Proof of the act without raw personal data: the IP as a keyed hash, the user agent truncated. */
export function evidenceOf(req: FastifyRequest, key: Buffer): NonNullable<ConsentEvent['evidence']> {
  const ipHash = `ip1_${createHmac('sha256', key).update(IP_CONTEXT).update(req.ip, 'utf8').digest('base64url').slice(0, 32)}`;
  const ua = req.headers['user-agent'];
  return { ipHash, ...(ua ? { userAgent: ua.slice(0, UA_MAX) } : {}) };
}
