import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy } from '../../domain/policy.js';
import { buildReviewReport, reviewLogEntry } from '../../domain/review-finish.js';
import { ReviewReport } from '../../domain/review-report.js';
import { ReviewAccumulator, type ReviewLookups } from '../../domain/review.js';
import { emptyReviewState } from '../../domain/review-state.js';
import { policy as bundle } from '../../policy/index.js';
import { A, allow, B, consent, entry, extras, lookups, newId, period, policy, sent, T0 } from './review-fixtures.js';

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
