import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replayDecision, stateAt, type SubjectHistory } from '../../domain/decision-replay.js';
import type { LogEntry } from '../../domain/decision-log.js';
import { decide, type Decision } from '../../domain/guard.js';
import { compiled, event, request, SUBJECT, suppression } from './guard-fixtures.js';

const T1 = new Date('2026-03-01T10:00:00Z');
const T2 = new Date('2026-03-02T10:00:00Z');
const grant = event();
const withdrawal = event({ type: 'withdrawn', occurredAt: '2026-03-01T12:00:00Z' });
const history: SubjectHistory = {
  events: [
    { event: grant, recordedAtMs: Date.parse('2026-01-10T09:30:00Z') },
    { event: withdrawal, recordedAtMs: Date.parse('2026-03-01T12:00:00Z') },
  ],
  suppressions: [],
  erasedAtMs: null,
  personalisation: 'on',
};

/** The log entry the send path writes for a decision (campaign-level reasons appended), as decisionEntry does. */
function entry(d: Decision, extra: string[] = [], over: Partial<LogEntry> = {}): LogEntry {
  const denied = d.outcome === 'deny' || extra.length > 0;
  return {
    id: '01JZ1QYXMA1MQZDVXVY7HQE6MW',
    at: d.decidedAt,
    seq: 1,
    partition: 0,
    kind: 'decision',
    subjectRef: SUBJECT,
    campaignId: d.campaignId,
    campaignVersion: 'b',
    workflowId: 'wf',
    runId: 'r',
    stepId: d.stepId,
    purpose: d.purpose,
    channel: d.channel,
    processor: d.processor,
    outcome: denied ? 'deny' : 'allow',
    reasons: [...(d.outcome === 'deny' ? d.reasons : []), ...extra],
    consentEventId: d.consentEventId,
    noticeVersion: d.noticeVersion === null ? null : String(d.noticeVersion),
    policyVersion: d.policyVersion,
    fieldsRequested: [...d.fieldsRequested],
    fieldsReleased: denied ? [] : [...d.fieldsReleased],
    fieldsWithheld: denied ? [...d.fieldsRequested] : [],
    templateId: d.templateId,
    templateHash: null,
    decisionId: null,
    result: null,
    smtpCode: null,
    messageId: null,
    jurisdiction: d.jurisdiction,
    transferTo: null,
    transferMechanism: null,
    transferMechanismKind: null,
    transferValidFrom: null,
    transferValidUntil: null,
    transferConsentEventId: null,
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
    ...over,
  };
}

const decidedAt = (at: Date) => decide(request(), stateAt(history, at.getTime()), compiled, at);

test('decisions before and after a withdrawal replay to what was logged, each on the events committed by its time', () => {
  const before = decidedAt(T1);
  const after = decidedAt(T2);
  assert.equal(before.outcome, 'allow');
  assert.deepEqual(after.outcome === 'deny' && after.reasons, ['consent_withdrawn']);
  for (const d of [before, after]) assert.equal(replayDecision(entry(d), compiled, history).status, 'match');
});

test('an allow logged where the history says withdrawn is a mismatch naming the reasons and the consent event', () => {
  const forged = entry(decidedAt(T1), [], { at: T2.toISOString() });
  const r = replayDecision(forged, compiled, history);
  assert.equal(r.status, 'mismatch');
  assert.deepEqual(r.replayed?.reasons, ['consent_withdrawn']);
  assert.ok(r.notes.some((n) => n.startsWith('guard reasons: logged [], replayed [consent_withdrawn]')));
  assert.ok(r.notes.some((n) => n.includes(`logged ${grant.id}, replayed ${withdrawal.id}`)));
});

test('campaign-level denials are not the guard’s: a capped send replays as a match', () => {
  assert.equal(replayDecision(entry(decidedAt(T1), ['frequency_capped']), compiled, history).status, 'match');
});

test('a missing policy snapshot is a mismatch; a reservation re-decision and a store fault are not replayable', () => {
  const d = decidedAt(T1);
  assert.equal(replayDecision(entry(d), null, history).status, 'mismatch');
  assert.equal(
    replayDecision(entry(d, ['consent_changed'], { policyVersion: null }), compiled, history).status,
    'not_replayable',
  );
  const faulted = decide(request(), { ...stateAt(history, T1.getTime()), loadError: 'timeout' }, compiled, T1);
  assert.equal(replayDecision(entry(faulted), compiled, history).status, 'not_replayable');
});

test('the state at a time keeps only suppressions and erasure recorded by then', () => {
  const h: SubjectHistory = {
    ...history,
    suppressions: [suppression('unsubscribe_all')],
    erasedAtMs: Date.parse('2026-04-01T00:00:00Z'),
  };
  assert.equal(stateAt(h, Date.parse('2026-01-15T00:00:00Z')).suppressions.length, 0);
  assert.equal(stateAt(h, Date.parse('2026-02-15T00:00:00Z')).suppressions.length, 1);
  assert.deepEqual(
    [stateAt(h, Date.parse('2026-03-15T00:00:00Z')).erased, stateAt(h, Date.parse('2026-04-15T00:00:00Z')).erased],
    [false, true],
  );
});
