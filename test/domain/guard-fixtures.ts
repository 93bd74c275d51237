// Shared builders for the pure guard and consent tests: the shipped policy, a fixed clock, events and states.
import type { ConsentEvent } from '../../domain/consent.js';
import { type GuardState, rebuild } from '../../domain/consent-state.js';
import type { GuardRequest } from '../../domain/guard.js';
import type { SubjectRef } from '../../domain/ids.js';
import { compilePolicy } from '../../domain/policy.js';
import type { Suppression } from '../../domain/suppression.js';
import { policy } from '../../policy/index.js';

export const compiled = compilePolicy(policy, 'test-policy-v1');
/** After notice v3 (material, 2025-06-01) and inside every shipped agreement except legacy-esp's. */
export const NOW = new Date('2026-06-01T00:00:00Z');
export const SUBJECT = 'sr_AAAAAAAAAAAAAAAAAAAAAA' as SubjectRef;

export function noticeHash(version: number, language = 'en'): string {
  const n = policy.notices.find((x) => x.version === version && x.language === language);
  if (!n) throw new Error(`no notice v${version} ${language} in the shipped policy`);
  return n.contentHash;
}

let seq = 0;
/** A current v3 email grant for the newsletter unless overridden. */
export function event(over: Partial<ConsentEvent> = {}): ConsentEvent {
  const version = over.noticeVersion ?? 3;
  seq += 1;
  return {
    id: `01J${String(seq).padStart(23, '0')}`,
    type: 'granted',
    subjectRef: SUBJECT,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    legalBasis: 'consent',
    noticeVersion: version,
    noticeHash: over.noticeHash ?? noticeHash(version),
    language: 'en',
    collectionPoint: 'web:footer-signup',
    method: 'form',
    occurredAt: '2026-01-10T09:30:00Z',
    source: 'api',
    jurisdiction: 'DE',
    ...over,
  };
}

export function state(events: ConsentEvent[] = [], over: Partial<GuardState> = {}): GuardState {
  return { consent: rebuild(events), suppressions: [], erased: false, personalisation: 'on', ...over };
}

export function suppression(kind: Suppression['kind'], channel?: Suppression['channel']): Suppression {
  return { kind, at: '2026-02-01T00:00:00Z', source: 'test', ...(channel ? { channel } : {}) };
}

export function request(over: Partial<GuardRequest> = {}): GuardRequest {
  return {
    campaignId: 'spring-newsletter',
    stepId: 'send-1',
    subjectRef: SUBJECT,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    processor: 'smtp-relay',
    templateId: 'newsletter-v2',
    fields: ['first_name'],
    ...over,
  };
}
