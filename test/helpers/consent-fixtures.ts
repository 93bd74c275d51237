import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import type { ConsentEvent } from '../../domain/consent.js';
import type { SubjectRef } from '../../domain/ids.js';
import { createEnvelope } from '../../infra/crypto/envelope.js';
import { ConsentStore } from '../../infra/redis/consent-store.js';
import { redisKeys } from '../../infra/redis/keys.js';
import { SubjectStore } from '../../infra/redis/subject-store.js';
import { testRedis } from './services.js';

/** A consent event with sensible defaults for tests. */
export function consentEvent(ref: SubjectRef, over: Partial<ConsentEvent> = {}): ConsentEvent {
  return {
    id: ulid(),
    type: 'granted',
    subjectRef: ref,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    legalBasis: 'consent',
    noticeVersion: 1,
    noticeHash: 'sha256:test',
    language: 'en',
    collectionPoint: 'test',
    method: 'api',
    occurredAt: new Date().toISOString(),
    source: 'test',
    jurisdiction: 'DE',
    ...over,
  };
}

/** Real-Redis consent and subject stores under a key prefix unique to the test file. */
export function testStores(opts: { masterKey?: Buffer; previous?: Buffer[] } = {}) {
  const { redis, prefix, url } = testRedis();
  const keys = redisKeys(prefix);
  const pseudonymKey = randomBytes(32);
  const masterKey = opts.masterKey ?? randomBytes(32);
  const envelope = createEnvelope({ current: masterKey, previous: opts.previous });
  const consent = new ConsentStore({ redis, keys });
  const subjects = new SubjectStore({ redis, keys, envelope, pseudonymKey });
  return { redis, prefix, url, keys, pseudonymKey, masterKey, envelope, consent, subjects };
}
