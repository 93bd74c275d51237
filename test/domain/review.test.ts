import assert from 'node:assert/strict';
import { test } from 'node:test';
import { monotonicFactory, ulid } from 'ulid';
import type { ConsentEvent } from '../../domain/consent.js';
import type { LogEntry } from '../../domain/decision-log.js';
import type { SubjectRef } from '../../domain/ids.js';
import { compilePolicy } from '../../domain/policy.js';
import { detectAnomalies } from '../../domain/review-anomalies.js';
import { addWorkingDays, pendingDoubleOptIns, ulidTime, withdrawnBefore } from '../../domain/review-checks.js';
import { buildReviewReport, reviewLogEntry } from '../../domain/review-finish.js';
import { ReviewReport, type Tally } from '../../domain/review-report.js';
import { ReviewAccumulator, type ReviewLookups } from '../../domain/review.js';
import { emptyReviewState } from '../../domain/review-state.js';
import { policy as bundle } from '../../policy/index.js';

const policy = compilePolicy(bundle, 'test-policy');
const newId = monotonicFactory();
const A = 'sr_AAAAAAAAAAAAAAAAAAAAAA' as SubjectRef;
const B = 'sr_BBBBBBBBBBBBBBBBBBBBBB' as SubjectRef;
const T0 = Date.parse('2025-07-01T00:00:00.000Z');
const seqs = new Map<number, number>();

function entry(over: Partial<LogEntry> & Pick<LogEntry, 'kind' | 'outcome'>, atMs = T0 + 3_600_000): LogEntry {
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
const allow = (over: Partial<LogEntry> = {}, at?: number) => entry({ kind: 'decision', outcome: 'allow', ...over }, at);
const sent = (d: LogEntry, over: Partial<LogEntry> = {}, at?: number) =>
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

function consent(type: ConsentEvent['type'], atMs: number, over: Partial<ConsentEvent> = {}): ConsentEvent {
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

const lookups = (events: Record<string, ConsentEvent[]> = {}, older: LogEntry[] = []): ReviewLookups => ({
  findDecision: (ref, id) => Promise.resolve(older.find((e) => e.id === id && e.subjectRef === ref) ?? null),
  consentEvents: (ref) => Promise.resolve(events[ref] ?? []),
});

const period = { sinceMs: T0, untilMs: T0 + 86_400_000 };
const extras = (state: ReturnType<typeof emptyReviewState>) => ({
  id: '20250702T000000Z-abcd1234',
  generatedAt: new Date(T0 + 86_400_000),
  policy,
  chain: { ok: true, entries: state.entries, partitions: 2, segments: 0, breaks: [] },
  consent: { pendingDoubleOptIns: 0, subjectsScanned: 0, noticeVersionsInConsents: {} },
  subjectRequests: { available: false, open: 0, completed: 0, overdue: 0, other: 0, note: '' },
  logEntryId: null,
});

test('a clean period passes with totals by outcome, purpose, campaign and hour', async () => {
  const acc = new ReviewAccumulator(policy, emptyReviewState(period));
  const d = allow();
  const deny = entry({ kind: 'decision', outcome: 'deny', reasons: ['consent_withdrawn'], fieldsReleased: [] });
  await acc.addPage([d, deny, sent(d)], lookups());
  const r = buildReviewReport(acc.state, extras(acc.state));
  assert.equal(r.status, 'pass');
  assert.deepEqual(r.failures, []);
  assert.deepEqual(r.totals.byOutcome, { allow: 1, deny: 1, sent: 1 });
  assert.deepEqual(r.totals.byReason, { consent_withdrawn: 1 });
  assert.equal(r.totals.byCampaign.spring?.entries, 3);
  assert.equal(r.totals.byHour['2025-07-01T01']?.sent, 1);
  assert.deepEqual(r.processors.find((p) => p.id === 'smtp-relay')?.received, {
    'marketing.email.newsletter': { sends: 1, fields: { email: 1, first_name: 1 } },
  });
  assert.equal(acc.state.pending.length, 0, 'a matched decision is no longer held');
  assert.ok(ReviewReport.safeParse(r).success);
});

test('reports every invariant violation exactly, by entry id', async () => {
  const acc = new ReviewAccumulator(policy, emptyReviewState(period));
  const deny = entry({ kind: 'decision', outcome: 'deny', reasons: ['no_consent'], fieldsReleased: [] });
  const onDeny = sent(deny);
  const orphan = entry({ kind: 'delivery', outcome: 'failed', decisionId: newId(T0), fieldsReleased: [] });
  const wide = allow({ fieldsReleased: ['email', 'first_name', 'birth_year'] });
  const old = allow({ noticeVersion: '1' });
  const onOld = sent(old);
  const legacy = allow();
  const onLegacy = sent(legacy, { processor: 'legacy-esp' });
  const afterWithdrawal = allow({ subjectRef: B });
  // A CN subject's data sent to the EU relay with the mechanism but no separate consent (PIPL 39).
  const cn = allow({
    jurisdiction: 'CN',
    transferTo: 'EU',
    transferMechanism: 'CAC-SC-440300-2025-0142',
    transferMechanismKind: 'standard_contract',
    transferValidFrom: '2025-03-01T00:00:00Z',
    transferValidUntil: '2028-02-29T23:59:59Z',
  });
  const onCn = sent(cn);
  const onWithdrawn = sent(afterWithdrawal);
  const events = {
    [B]: [consent('granted', T0 - 1000, { subjectRef: B }), consent('withdrawn', T0 + 60_000, { subjectRef: B })],
  };
  // The lookup stands for the whole log, so it finds the deny decision too.
  const closedRun = entry({
    kind: 'run',
    outcome: 'summary',
    result: 'audience=10 sent=7 held_out=1 unaccounted=2 digest=ab',
    fieldsReleased: [],
  });
  const cleanRun = entry({
    kind: 'run',
    outcome: 'summary',
    result: 'audience=5 sent=5 unaccounted=0 digest=cd',
    fieldsReleased: [],
  });
  await acc.addPage(
    [
      deny,
      onDeny,
      orphan,
      wide,
      old,
      onOld,
      legacy,
      onLegacy,
      cn,
      onCn,
      afterWithdrawal,
      onWithdrawn,
      closedRun,
      cleanRun,
    ],
    lookups(events, [deny]),
  );
  const r = buildReviewReport(acc.state, extras(acc.state));
  const found = Object.fromEntries(r.invariants.map((i) => [i.code, i.entryIds]));
  assert.deepEqual(found, {
    send_without_allow: [onDeny.id],
    field_outside_purpose: [wide.id],
    send_after_withdrawal: [onWithdrawn.id],
    send_outdated_notice: [onOld.id],
    processor_agreement_invalid: [onLegacy.id],
    delivery_without_decision: [orphan.id],
    unaccounted_subjects: [closedRun.id],
    policy_snapshot_missing: [],
    cross_border_transfer_unlawful: [onCn.id],
  });
  assert.equal(
    r.invariants.find((i) => i.code === 'unaccounted_subjects')?.count,
    2,
    'counts the members, not the runs',
  );
  assert.equal(r.status, 'fail');
  assert.equal(r.failures.length, 8);
  const logged = reviewLogEntry(r, { workflowId: 'w', runId: 'r' });
  assert.equal(logged.kind, 'review');
  assert.match(logged.result!, /^fail .*violations=9 chain_breaks=0$/);
});

test('a decision from before the period is found through the lookup and authorises its send', async () => {
  const acc = new ReviewAccumulator(policy, emptyReviewState(period));
  const before = allow({}, T0 - 5_000);
  await acc.addPage([sent(before, {}, T0 + 10)], lookups({}, [before]));
  assert.equal(acc.state.invariants.send_without_allow.count, 0);
  assert.equal(acc.state.invariants.delivery_without_decision.count, 0);
});

test('a send whose decision sits later in the chain or on another subject is not authorised', async () => {
  const acc = new ReviewAccumulator(policy, emptyReviewState(period));
  const d = allow();
  const bogus = sent(d, { subjectRef: B, partition: 0 });
  await acc.addPage([d, bogus], lookups());
  assert.deepEqual(acc.state.invariants.send_without_allow.entryIds, [bogus.id]);
});

test('state survives a JSON round trip between pages', async () => {
  const acc = new ReviewAccumulator(policy, emptyReviewState(period));
  const d = allow();
  await acc.addPage([d], lookups());
  const resumed = new ReviewAccumulator(
    policy,
    JSON.parse(JSON.stringify(acc.state)) as ReturnType<typeof emptyReviewState>,
  );
  await resumed.addPage([sent(d)], lookups());
  assert.equal(resumed.state.invariants.send_without_allow.count, 0);
  assert.equal(resumed.state.entries, 2);
});

test('consent older than the purpose allows is reported as still relied on', async () => {
  const acc = new ReviewAccumulator(policy, emptyReviewState(period));
  const ancient = consent('granted', T0 - 800 * 86_400_000);
  const d = allow({ consentEventId: ancient.id });
  const fresh = allow({ consentEventId: consent('granted', T0 - 86_400_000).id });
  await acc.addPage([d, fresh], lookups({ [A]: [ancient] }));
  assert.deepEqual(acc.state.staleReliedOn.entryIds, [d.id]);
});

test('withdrawal replay: the most specific answer wins, later events do not count', () => {
  const parent = consent('withdrawn', T0, { purpose: 'marketing.email' });
  const child = consent('granted', T0 + 10);
  assert.equal(withdrawnBefore(policy, [parent], 'marketing.email.newsletter', 'email', T0 + 5), true);
  assert.equal(withdrawnBefore(policy, [parent, child], 'marketing.email.newsletter', 'email', T0 + 20), false);
  assert.equal(
    withdrawnBefore(policy, [consent('withdrawn', T0 + 100)], 'marketing.email.newsletter', 'email', T0),
    false,
  );
  assert.equal(withdrawnBefore(policy, [parent], 'marketing.email.newsletter', 'sms', T0 + 5), false);
});

test('pending double opt-ins count until confirmed; ULID times and working days', () => {
  const p = consent('granted', T0, { pending: true });
  assert.equal(pendingDoubleOptIns([p]), 1);
  assert.equal(pendingDoubleOptIns([p, consent('reconfirmed', T0 + 1)]), 0);
  assert.equal(ulidTime(ulid(T0)), T0);
  assert.equal(ulidTime('ce-1'), null);
  // Friday 2025-07-04 + 1 working day is Monday 2025-07-07.
  assert.equal(
    new Date(addWorkingDays(Date.parse('2025-07-04T00:00:00Z'), 1)).toISOString().slice(0, 10),
    '2025-07-07',
  );
});

const tally = (allowN: number, denyN: number, sentN: number): Tally => ({
  entries: allowN + denyN + sentN,
  allow: allowN,
  deny: denyN,
  sent: sentN,
  failed: 0,
  recorded: 0,
});

test('flags a deny rate and a send volume far from the baseline, and stays quiet on a steady campaign', () => {
  const base = Object.fromEntries(Array.from({ length: 7 }, (_, k) => [String(-1 - k), tally(95 + k, 5, 95 + k)]));
  const buckets = { noisy: { ...base, '0': tally(40, 60, 40) }, steady: { ...base, '0': tally(98, 4, 98) } };
  const found = detectAnomalies(buckets, T0, T0 + 86_400_000);
  assert.deepEqual(
    found.map((a) => [a.campaignId, a.metric]),
    [
      ['noisy', 'deny_rate'],
      ['noisy', 'send_volume'],
    ],
  );
  assert.equal(found[0]?.day, '2025-07-01');
  assert.deepEqual(
    detectAnomalies({ young: { '-1': tally(1, 0, 1), '0': tally(0, 100, 0) } }, T0, T0 + 86_400_000),
    [],
    'too little baseline: no verdict',
  );
});

test('each decision is judged by the policy version it recorded, and a version with no snapshot is flagged', async () => {
  // An older policy let the newsletter use `city`; the current one does not.
  const older = compilePolicy(
    {
      ...bundle,
      purposes: bundle.purposes.map((p) =>
        p.id === 'marketing.email.newsletter' ? { ...p, allowedFields: [...p.allowedFields, 'city'] } : p,
      ),
    },
    'older-policy',
  );
  const withSnapshots: ReviewLookups = {
    ...lookups(),
    policyAt: (v) => Promise.resolve(v === 'older-policy' ? older : null),
  };
  const acc = new ReviewAccumulator(policy, emptyReviewState(period));
  const underOlder = allow({ policyVersion: 'older-policy', fieldsReleased: ['email', 'city'] });
  const underCurrent = allow({ fieldsReleased: ['email', 'city'] });
  const lost = allow({ policyVersion: 'gone-policy' });
  await acc.addPage([underOlder, sent(underOlder), underCurrent, lost], withSnapshots);
  const r = buildReviewReport(acc.state, extras(acc.state));
  const inv = (code: string) => r.invariants.find((i) => i.code === code);
  assert.deepEqual(
    inv('field_outside_purpose')?.entryIds,
    [underCurrent.id],
    'city was allowed under the policy the first decision recorded',
  );
  assert.deepEqual(inv('policy_snapshot_missing')?.entryIds, [lost.id]);
  assert.deepEqual(r.failures.sort(), ['field_outside_purpose', 'policy_snapshot_missing']);

  const judgedByCurrent = new ReviewAccumulator(policy, emptyReviewState(period));
  await judgedByCurrent.addPage([underOlder], lookups());
  assert.equal(
    judgedByCurrent.state.invariants.field_outside_purpose.count,
    1,
    'without snapshots the current policy judges (the old behaviour)',
  );
});
