// Shared review fixtures: a compiled policy, log entries in one chain per subject, consent events and lookups.
import { monotonicFactory } from 'ulid';
import type { ConsentEvent } from '../../domain/consent.js';
import type { LogEntry } from '../../domain/decision-log.js';
import type { SubjectRef } from '../../domain/ids.js';
import { compilePolicy } from '../../domain/policy.js';
import type { Tally } from '../../domain/review-report.js';
import type { ReviewLookups } from '../../domain/review.js';
import type { emptyReviewState } from '../../domain/review-state.js';
import { policy as bundle } from '../../policy/index.js';

export const policy = compilePolicy(bundle, 'test-policy');
export const newId = monotonicFactory();
export const A = 'sr_AAAAAAAAAAAAAAAAAAAAAA' as SubjectRef;
export const B = 'sr_BBBBBBBBBBBBBBBBBBBBBB' as SubjectRef;
export const T0 = Date.parse('2025-07-01T00:00:00.000Z');
export const seqs = new Map<number, number>();

export function entry(over: Partial<LogEntry> & Pick<LogEntry, 'kind' | 'outcome'>, atMs = T0 + 3_600_000): LogEntry {
  const partition = over.partition ?? (over.subjectRef === B ? 1 : 0);
  const seq = (seqs.get(partition) ?? 0) + 1;
  seqs.set(partition, seq);
  return {
    id: newId(atMs),
    at: new Date(atMs).toISOString(),
    seq,
    partition,
    subjectRef: A,
    campaignId: 'spring',
    campaignVersion: 'v1',
    workflowId: 'wf',
    runId: 'r',
    stepId: 's1',
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    processor: 'smtp-relay',
    reasons: [],
    consentEventId: null,
    noticeVersion: '3',
    policyVersion: 'test-policy',
    fieldsRequested: [],
    fieldsReleased: ['email', 'first_name'],
    fieldsWithheld: [],
    templateId: 't',
    templateHash: null,
    decisionId: null,
    result: null,
    smtpCode: null,
    messageId: null,
    jurisdiction: null,
    transferTo: null,
    transferMechanism: null,
    transferMechanismKind: null,
    transferValidFrom: null,
    transferValidUntil: null,
    transferConsentEventId: null,
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
    ...over,
  } as LogEntry;
}
export const allow = (over: Partial<LogEntry> = {}, at?: number) =>
  entry({ kind: 'decision', outcome: 'allow', ...over }, at);
export const sent = (d: LogEntry, over: Partial<LogEntry> = {}, at?: number) =>
  entry(
    {
      kind: 'delivery',
      outcome: 'sent',
      decisionId: d.id,
      subjectRef: d.subjectRef,
      fieldsReleased: [],
      result: 'accepted',
      ...over,
    },
    at ?? Date.parse(d.at) + 10,
  );

export function consent(type: ConsentEvent['type'], atMs: number, over: Partial<ConsentEvent> = {}): ConsentEvent {
  return {
    id: newId(atMs),
    type,
    subjectRef: A,
    purpose: 'marketing.email.newsletter',
    channel: 'email',
    legalBasis: 'consent',
    noticeVersion: 3,
    noticeHash: 'h',
    language: 'en',
    collectionPoint: 't',
    method: 'api',
    occurredAt: new Date(atMs).toISOString(),
    source: 't',
    jurisdiction: 'EU',
    ...over,
  } as ConsentEvent;
}

export const lookups = (events: Record<string, ConsentEvent[]> = {}, older: LogEntry[] = []): ReviewLookups => ({
  findDecision: (ref, id) => Promise.resolve(older.find((e) => e.id === id && e.subjectRef === ref) ?? null),
  consentEvents: (ref) => Promise.resolve(events[ref] ?? []),
});

export const period = { sinceMs: T0, untilMs: T0 + 86_400_000 };
export const extras = (state: ReturnType<typeof emptyReviewState>) => ({
  id: '20250702T000000Z-abcd1234',
  generatedAt: new Date(T0 + 86_400_000),
  policy,
  chain: { ok: true, entries: state.entries, partitions: 2, segments: 0, breaks: [] },
  consent: { pendingDoubleOptIns: 0, subjectsScanned: 0, noticeVersionsInConsents: {} },
  subjectRequests: { available: false, open: 0, completed: 0, overdue: 0, other: 0, note: '' },
  logEntryId: null,
});

export const tally = (allowN: number, denyN: number, sentN: number): Tally => ({
  entries: allowN + denyN + sentN,
  allow: allowN,
  deny: denyN,
  sent: sentN,
  failed: 0,
  recorded: 0,
});
