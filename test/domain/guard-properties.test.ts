import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { channels } from '../../domain/channel.js';
import type { GuardState } from '../../domain/consent-state.js';
import { decide, type Decision, type GuardRequest, ReasonCode, reasonOrder } from '../../domain/guard.js';
import { purposeAncestors } from '../../domain/purpose-id.js';
import type { ConsentEvent } from '../../domain/consent.js';
import type { Processor, Purpose } from '../../domain/policy.js';
import { policy } from '../../policy/index.js';
import { compiled, event, NOW, request, state, suppression } from './guard-fixtures.js';

const purposeIds = [...policy.purposes.map((p) => p.id), 'marketing', 'sharing.third_party', 'marketing.email.contest'];
const jurisdictionCodes = ['DE', 'FR', 'EU', 'CN', 'GB', 'UK', 'US', 'US-CA', 'BR'];
const fieldNames = [...policy.subjectFields.map((f) => f.name), 'iban'];

const arbRequest = fc
  .record({
    purpose: fc.constantFrom(...purposeIds),
    channel: fc.constantFrom('email', 'sms', 'fax'),
    processor: fc.constantFrom(...policy.processors.map((p) => p.id), 'nobody'),
    fields: fc.subarray(fieldNames, { maxLength: 5 }),
  })
  .map((r) => request(r));

const arbEvent = fc
  .record({
    type: fc.constantFrom('granted', 'withdrawn', 'expired', 'reconfirmed'),
    purpose: fc.constantFrom(...purposeIds),
    channel: fc.constantFrom('email', 'sms'),
    legalBasis: fc.constantFrom('consent', 'soft_opt_in', 'contract'),
    noticeVersion: fc.integer({ min: 1, max: 3 }),
    pending: fc.option(fc.constant(true as const), { nil: undefined }),
    occurredAt: fc
      .date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2026-05-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    jurisdiction: fc.constantFrom(...jurisdictionCodes),
    givenBy: fc.option(fc.constant('guardian' as const), { nil: undefined }),
  })
  .map((r) => event(r));

const arbState: fc.Arbitrary<GuardState> = fc
  .record({
    events: fc.array(arbEvent, { maxLength: 8 }),
    suppressions: fc.subarray(
      [suppression('unsubscribe_all'), suppression('hard_bounce', 'email'), suppression('complaint', 'sms')],
      { maxLength: 1 },
    ),
    erased: fc.boolean(),
    personalisation: fc.constantFrom('on' as const, 'off' as const),
    loadError: fc.option(fc.constant('timeout'), { nil: undefined, freq: 5 }),
    birthYear: fc.option(fc.integer({ min: 2005, max: 2020 }), { nil: undefined }),
  })
  .map(({ events, birthYear, ...rest }) =>
    state(events, { ...rest, ...(birthYear === undefined ? {} : { birthYear }) }),
  );

const arbNow = fc.date({
  min: new Date('2024-06-01T00:00:00Z'),
  max: new Date('2027-12-31T00:00:00Z'),
  noInvalidDate: true,
});

// Mostly-valid scenarios with a few random breakages, so allows are common and the invariants get exercised.
const sendable = policy.purposes.flatMap((p) =>
  p.channels.flatMap((c) => {
    const proc = policy.processors.find(
      (x) => x.id !== 'legacy-esp' && x.purposes.includes(p.id) && x.fields.includes(policy.channelAddressField[c]),
    );
    return proc ? [{ p, c, proc }] : [];
  }),
);
const breakages = [
  'purpose',
  'channel',
  'processor',
  'field',
  'withdrawn',
  'pending',
  'notice',
  'erased',
  'suppressed',
  'load',
  'personalisation',
  'basis',
  'ancestor',
  'minor',
  'transfer',
] as const;
const arbScenario = fc
  .record({
    pick: fc.constantFrom(...sendable),
    fieldSeed: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
    viaParent: fc.boolean(),
    occurredAt: fc.date({
      min: new Date('2025-07-01T00:00:00Z'),
      max: new Date('2026-05-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    now: fc.date({ min: new Date('2026-06-01T00:00:00Z'), max: new Date('2026-12-30T00:00:00Z'), noInvalidDate: true }),
    broken: fc.subarray([...breakages], { maxLength: 2 }),
    jurisdiction: fc.constantFrom(...jurisdictionCodes),
  })
  .map(
    ({
      pick: { p, c, proc },
      fieldSeed,
      viaParent,
      occurredAt,
      now,
      broken,
      jurisdiction,
    }): [GuardRequest, GuardState, Date] => {
      const has = (b: (typeof breakages)[number]) => broken.includes(b);
      const fields = p.allowedFields.filter((f, i) => proc.fields.includes(f) && fieldSeed[i % 10]);
      const parent = purposeAncestors(p.id)[0];
      const onParent = (viaParent && !p.separateConsent) || has('ancestor');
      const grant = event({
        purpose: onParent && parent ? parent : p.id,
        channel: c,
        legalBasis: has('basis') ? 'contract' : p.legalBasis,
        occurredAt: occurredAt.toISOString(),
        noticeVersion: has('notice') ? 1 : 3,
        ...(has('pending') ? { pending: true } : {}),
        jurisdiction,
      });
      // The separate cross-border consent to every recipient that has a transfer purpose, unless broken.
      const transfers = has('transfer')
        ? []
        : policy.purposes
            .filter((x) => x.transferTo !== undefined)
            .flatMap((x) =>
              x.channels.map((ch) =>
                event({ purpose: x.id, channel: ch, jurisdiction, occurredAt: occurredAt.toISOString() }),
              ),
            );
      const events = [...transfers, ...(has('withdrawn') ? [grant, event({ ...grant, type: 'withdrawn' })] : [grant])];
      const req = request({
        purpose: has('purpose') ? `${p.id}.other` : p.id,
        channel: has('channel') ? 'fax' : c,
        processor: has('processor') ? 'legacy-esp' : proc.id,
        fields: has('field') ? [...fields, 'iban'] : fields,
      });
      return [
        req,
        state(events, {
          erased: has('erased'),
          suppressions: has('suppressed') ? [suppression('unsubscribe_all')] : [],
          personalisation: has('personalisation') ? 'off' : 'on',
          ...(has('load') ? { loadError: 'timeout' } : {}),
          birthYear: has('minor') ? 2015 : 1980,
        }),
        now,
      ];
    },
  );
const arbCase = fc.oneof(arbScenario, fc.tuple(arbRequest, arbState, arbNow));

/** Checks, independently of decide(), every piece an allow needs. */
function assertAllowIsJustified(req: GuardRequest, s: GuardState, d: Decision, now: Date): void {
  assert.equal(s.loadError, undefined);
  assert.equal(s.erased, false);
  assert.ok(!s.suppressions.some((x) => x.channel === undefined || x.channel === req.channel));
  const purpose = policy.purposes.find((p) => p.id === req.purpose);
  const proc = policy.processors.find((p) => p.id === req.processor);
  assert.ok(purpose && proc, 'purpose and processor are known');
  assert.ok((purpose.channels as string[]).includes(req.channel));
  assert.ok(proc.purposes.includes(purpose.id) && proc.agreementId !== undefined);
  assert.ok(
    Date.parse(proc.agreementValidFrom ?? '') <= now.getTime() &&
      now.getTime() < Date.parse(proc.agreementValidUntil ?? ''),
  );
  const address = policy.channelAddressField[req.channel as 'email' | 'sms'];
  assert.ok(d.fieldsReleased.includes(address));
  for (const f of d.fieldsReleased)
    assert.ok((f === address || purpose.allowedFields.includes(f)) && proc.fields.includes(f), f);
  if (purpose.personalised) assert.equal(s.personalisation, 'on');
  const own = s.consent[`${purpose.id}|${req.channel}`];
  const exactOnly = purpose.separateConsent || purpose.sensitive || purpose.allowedFields.includes('health_interest');
  const candidates = [
    own,
    ...(exactOnly ? [] : purposeAncestors(purpose.id).map((a) => s.consent[`${a}|${req.channel}`])),
  ];
  const relied = candidates.find((e) => e !== undefined);
  assert.ok(relied, 'a consent event exists');
  assert.equal(relied.id, d.consentEventId);
  assert.ok(relied.type === 'granted' || relied.type === 'reconfirmed');
  assert.notEqual(relied.pending, true);
  assert.equal(relied.legalBasis, purpose.legalBasis);
  assert.ok(
    relied.noticeVersion >= purpose.minNoticeVersion &&
      relied.noticeVersion >= (now >= new Date('2025-06-01T00:00:00Z') ? 3 : 1),
  );
  assertJurisdictionAllows(relied, purpose, proc, req.channel, s, now);
}

/** The jurisdiction rules, restated from the shipped table rather than through the compiled policy. */
function assertJurisdictionAllows(
  e: ConsentEvent,
  purpose: Purpose,
  proc: Processor,
  channel: string,
  s: GuardState,
  now: Date,
): void {
  const rule = policy.jurisdictions.find(
    (r) => r.code === e.jurisdiction || r.includes.includes(e.jurisdiction) || r.code === e.jurisdiction.slice(0, 2),
  );
  assert.ok(
    rule,
    `an unknown jurisdiction (${e.jurisdiction}) never allows: every processor is abroad and no mechanism names it`,
  );
  if (purpose.jurisdictions) assert.ok(purpose.jurisdictions.includes(rule.code));
  assert.ok(rule.marketingBases.includes(purpose.legalBasis));
  const age = rule.guardianAgeByCode[e.jurisdiction] ?? rule.guardianConsentUnderAge;
  const minor = s.birthYear !== undefined && now.getUTCFullYear() - s.birthYear - 1 < age;
  if (minor) assert.equal(e.givenBy, 'guardian');
  const procRule = policy.jurisdictions.find((r) => r.code === proc.region || r.includes.includes(proc.region));
  if (procRule?.code === rule.code) return;
  if (rule.transferAbroad.mechanismRequired) {
    assert.ok(
      proc.transferMechanisms?.some(
        (m) =>
          m.from === rule.code && Date.parse(m.validFrom) <= now.getTime() && now.getTime() < Date.parse(m.validUntil),
      ),
    );
  }
  if (rule.transferAbroad.separateConsent) {
    const tp = policy.purposes.find((x) => x.transferTo === proc.id);
    const t = tp && s.consent[`${tp.id}|${channel}`];
    assert.ok(
      t && (t.type === 'granted' || t.type === 'reconfirmed') && t.pending !== true,
      'a live cross-border consent',
    );
    assert.ok(
      policy.notices.find((n) => n.contentHash === t.noticeHash)?.overseasRecipients?.includes(proc.id),
      'under a notice naming the recipient',
    );
    if (minor) assert.equal(t.givenBy, 'guardian');
  }
}

test('decide never allows unless every required piece is present and valid', () => {
  fc.assert(
    fc.property(arbCase, ([req, s, now]) => {
      const d = decide(req, s, compiled, now);
      if (d.outcome === 'allow') assertAllowIsJustified(req, s, d, now);
    }),
    { numRuns: 3000 },
  );
});

test('a deny lists unique reasons in precedence order and releases nothing', () => {
  fc.assert(
    fc.property(arbCase, ([req, s, now]) => {
      const d = decide(req, s, compiled, now);
      if (d.outcome === 'allow') return;
      assert.ok(d.reasons.length > 0);
      const ranks = d.reasons.map((r) => reasonOrder.indexOf(r));
      assert.deepEqual(
        ranks,
        [...new Set(ranks)].sort((a, b) => a - b),
      );
      assert.deepEqual(d.fieldsReleased, []);
      assert.deepEqual(d.fieldsWithheld, d.fieldsRequested);
    }),
    { numRuns: 2000 },
  );
});

test('decide is deterministic for equal inputs', () => {
  fc.assert(
    fc.property(arbCase, ([req, s, now]) => {
      assert.deepEqual(
        decide(req, s, compiled, now),
        decide(structuredClone(req), structuredClone(s), compiled, new Date(now.getTime())),
      );
    }),
    { numRuns: 1000 },
  );
});

test('the scenario generator produces allows as well as denies', () => {
  const outcomes = new Set(fc.sample(arbScenario, 300).map(([req, s, now]) => decide(req, s, compiled, now).outcome));
  assert.deepEqual([...outcomes].sort(), ['allow', 'deny']);
});

test('a subject with no consent events is never sent anything', () => {
  fc.assert(
    fc.property(arbRequest, arbNow, (req, now) => assert.equal(decide(req, state(), compiled, now).outcome, 'deny')),
    { numRuns: 1000 },
  );
});

test('granting one channel never implies another, for every purpose', () => {
  for (const p of policy.purposes) {
    for (const granted of channels) {
      for (const asked of channels) {
        if (asked === granted) continue;
        const s = state([event({ purpose: p.id, channel: granted, legalBasis: p.legalBasis })]);
        const d = decide(request({ purpose: p.id, channel: asked, fields: [] }), s, compiled, NOW);
        assert.equal(d.outcome, 'deny', `${p.id}: ${granted} grant allowed ${asked}`);
        if (d.outcome === 'deny')
          assert.ok(d.reasons.includes(ReasonCode.no_consent), `${p.id} ${granted}→${asked}: ${d.reasons.join(',')}`);
      }
    }
  }
});

test('a purpose offered on both channels sends on the granted one only', () => {
  const s = state([event({ purpose: 'marketing.personalized', channel: 'sms' })]);
  const sms = decide(
    request({ purpose: 'marketing.personalized', channel: 'sms', processor: 'sms-gateway', fields: [] }),
    s,
    compiled,
    NOW,
  );
  const email = decide(request({ purpose: 'marketing.personalized', channel: 'email', fields: [] }), s, compiled, NOW);
  assert.equal(sms.outcome, 'allow');
  assert.equal(email.outcome, 'deny');
});

test('a pending double opt-in never sends, on any purpose, until reconfirmed', () => {
  for (const p of policy.purposes.filter((x) => x.transferTo === undefined)) {
    const proc = policy.processors.find((x) => x.purposes.includes(p.id) && x.id !== 'legacy-esp');
    const channel = p.channels[0] ?? 'email';
    const req = request({ purpose: p.id, channel, processor: proc?.id ?? 'smtp-relay', fields: [] });
    const pending = event({ purpose: p.id, channel, legalBasis: p.legalBasis, method: 'double_opt_in', pending: true });
    const d = decide(req, state([pending]), compiled, NOW);
    assert.ok(d.outcome === 'deny' && d.reasons.includes(ReasonCode.consent_pending), p.id);
    const confirmed = decide(
      req,
      state([pending, { ...pending, id: '01JZZZZZZZZZZZZZZZZZZZZZZZ', type: 'reconfirmed', pending: undefined }]),
      compiled,
      NOW,
    );
    assert.equal(confirmed.outcome, 'allow', p.id);
  }
});
