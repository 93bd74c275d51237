import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GuardState } from '../../domain/consent-state.js';
import { decide, type GuardRequest, ReasonCode, reasonOrder } from '../../domain/guard.js';
import { compilePolicy, type CompiledPolicy } from '../../domain/policy.js';
import { policy } from '../../policy/index.js';
import type { ConsentEvent } from '../../domain/consent.js';
import { compiled, event, NOW, noticeHash, request, state, suppression } from './guard-fixtures.js';

interface Row {
  name: string;
  req?: Partial<GuardRequest>;
  state: GuardState;
  now?: string;
  policy?: CompiledPolicy;
  expect: 'allow' | ReasonCode[];
}

const R = ReasonCode;
const reengagement = { purpose: 'marketing.email.reengagement', legalBasis: 'soft_opt_in' } as const;
const healthless = compilePolicy(
  {
    ...policy,
    processors: policy.processors.map((p) =>
      p.id === 'smtp-relay' ? { ...p, fields: p.fields.filter((f) => f !== 'timezone') } : p,
    ),
  },
  'test-policy-no-timezone',
);

const everywhere = compilePolicy(
  { ...policy, purposes: policy.purposes.map((p) => ({ ...p, jurisdictions: undefined })) },
  'test-policy-offered-everywhere',
);
const lapsedFiling = compilePolicy(
  {
    ...policy,
    processors: policy.processors.map((p) =>
      p.id === 'smtp-relay'
        ? { ...p, transferMechanisms: p.transferMechanisms?.map((m) => ({ ...m, validUntil: '2026-01-01T00:00:00Z' })) }
        : p,
    ),
  },
  'test-policy-lapsed-filing',
);
const cn = { jurisdiction: 'CN', language: 'zh-CN', noticeHash: noticeHash(3, 'zh-CN') } as const;
const transferGrant = (over: Partial<ConsentEvent> = {}) =>
  event({ ...cn, purpose: 'transfer.overseas.smtp_relay', ...over });

const rows: Row[] = [
  { name: 'allows a newsletter with a current v3 grant', state: state([event()]), expect: 'allow' },
  { name: 'denies with no_consent when nothing was ever recorded', state: state(), expect: [R.no_consent] },
  {
    name: 'denies with consent_withdrawn after a withdrawal',
    state: state([event(), event({ type: 'withdrawn' })]),
    expect: [R.consent_withdrawn],
  },
  {
    name: 'allows again after a withdrawal is followed by a new grant',
    state: state([event({ type: 'withdrawn' }), event()]),
    expect: 'allow',
  },
  {
    name: 'denies with consent_expired after an expired event',
    state: state([event(), event({ type: 'expired' })]),
    expect: [R.consent_expired],
  },
  {
    name: 'denies with consent_expired once the grant is older than maxConsentAgeDays',
    state: state([event({ occurredAt: '2025-06-02T00:00:00Z' })]),
    now: '2027-07-01T00:00:00Z',
    expect: [R.consent_expired],
  },
  {
    name: 'denies with consent_pending for an unconfirmed double opt-in',
    state: state([event({ method: 'double_opt_in', pending: true })]),
    expect: [R.consent_pending],
  },
  {
    name: 'allows a double opt-in once reconfirmed',
    state: state([event({ pending: true }), event({ type: 'reconfirmed' })]),
    expect: 'allow',
  },
  {
    name: 'denies with notice_outdated after a material notice change',
    state: state([event({ noticeVersion: 1, occurredAt: '2025-01-01T00:00:00Z' })]),
    expect: [R.notice_outdated],
  },
  {
    name: 'allows a v1 grant while only a non-material notice followed it',
    state: state([event({ noticeVersion: 1, occurredAt: '2024-02-01T00:00:00Z' })]),
    now: '2025-01-01T00:00:00Z',
    expect: 'allow',
  },
  {
    name: 'denies with notice_outdated below the purpose minimum notice version',
    req: { purpose: reengagement.purpose },
    state: state([event({ ...reengagement, noticeVersion: 1, occurredAt: '2024-02-01T00:00:00Z' })]),
    now: '2025-01-01T00:00:00Z',
    expect: [R.notice_outdated],
  },
  {
    name: 'denies with notice_unknown when the notice hash matches no published notice',
    state: state([event({ noticeHash: 'f'.repeat(64) })]),
    expect: [R.notice_unknown],
  },
  {
    name: 'denies with notice_unknown for a notice version that does not exist',
    state: state([event({ noticeVersion: 9, noticeHash: 'f'.repeat(64) })]),
    expect: [R.notice_unknown],
  },
  {
    name: 'denies with legal_basis_mismatch when the basis differs from the purpose',
    req: { purpose: reengagement.purpose },
    state: state([event({ purpose: reengagement.purpose, legalBasis: 'contract' })]),
    expect: [R.legal_basis_mismatch],
  },
  {
    name: 'allows a soft opt-in purpose on a soft_opt_in record',
    req: { purpose: reengagement.purpose, fields: ['first_name', 'last_purchase_at'] },
    state: state([event(reengagement)]),
    expect: 'allow',
  },
  {
    name: 'denies with purpose_unknown (and no processor covers it) for an undefined purpose',
    req: { purpose: 'marketing.email.contest' },
    state: state([event()]),
    expect: [R.purpose_unknown, R.processor_not_authorized],
  },
  {
    name: 'denies with channel_not_allowed for a channel the engine does not know',
    req: { channel: 'fax' },
    state: state([event()]),
    expect: [R.channel_not_allowed],
  },
  {
    name: 'denies with channel_not_allowed for an email purpose sent by sms',
    req: { channel: 'sms', processor: 'sms-gateway' },
    state: state([event()]),
    expect: [R.channel_not_allowed, R.processor_not_authorized, R.no_consent],
  },
  {
    name: 'denies with processor_unknown for an unregistered processor',
    req: { processor: 'mystery-relay' },
    state: state([event()]),
    expect: [R.processor_unknown],
  },
  {
    name: 'denies with processor_not_authorized for a processor not registered for the purpose',
    req: { processor: 'ads-partner' },
    state: state([event()]),
    expect: [R.processor_not_authorized],
  },
  {
    name: 'denies with processor_agreement_expired (and no EU transfer mechanism to the US) once the agreement lapsed',
    req: { processor: 'legacy-esp' },
    state: state([event()]),
    expect: [R.processor_agreement_expired, R.cross_border_transfer_not_permitted],
  },
  {
    name: 'denies with processor_agreement_expired before the agreement starts',
    req: { processor: 'ads-partner', purpose: 'sharing.third_party.ads' },
    state: state([event({ purpose: 'sharing.third_party.ads', noticeVersion: 1, occurredAt: '2025-04-01T00:00:00Z' })]),
    now: '2025-05-01T00:00:00Z',
    expect: [R.processor_agreement_expired, R.notice_outdated],
  },
  {
    name: 'denies with field_not_allowed for a field outside the purpose allow-list',
    req: { fields: ['first_name', 'health_interest'] },
    state: state([event()]),
    expect: [R.field_not_allowed],
  },
  {
    name: 'denies with field_not_allowed for a field the processor may not receive',
    req: { fields: ['timezone'] },
    policy: healthless,
    state: state([event()]),
    expect: [R.field_not_allowed],
  },
  {
    name: 'denies with separate_consent_missing when only an ancestor grant exists',
    req: { purpose: 'sharing.third_party.ads', processor: 'ads-partner' },
    state: state([event({ purpose: 'sharing.third_party' })]),
    expect: [R.separate_consent_missing, R.no_consent],
  },
  {
    name: 'denies sensitive offers on a marketing.email bundle grant',
    req: { purpose: 'sensitive.health_offers', fields: ['health_interest'] },
    state: state([event({ purpose: 'marketing.email' })]),
    expect: [R.separate_consent_missing, R.no_consent],
  },
  {
    name: 'allows sensitive offers on their own separate grant',
    req: { purpose: 'sensitive.health_offers', fields: ['health_interest'] },
    state: state([event({ purpose: 'sensitive.health_offers' })]),
    expect: 'allow',
  },
  {
    name: 'allows a newsletter on an ancestor marketing.email grant',
    state: state([event({ purpose: 'marketing.email' })]),
    expect: 'allow',
  },
  {
    name: 'denies when the exact purpose was withdrawn even if an ancestor is granted',
    state: state([event({ purpose: 'marketing.email' }), event({ type: 'withdrawn' })]),
    expect: [R.consent_withdrawn],
  },
  {
    name: 'allows on an exact grant even if the ancestor was withdrawn',
    state: state([event({ purpose: 'marketing.email', type: 'withdrawn' }), event()]),
    expect: 'allow',
  },
  {
    name: 'denies with suppressed after unsubscribe-all',
    state: state([event()], { suppressions: [suppression('unsubscribe_all')] }),
    expect: [R.suppressed],
  },
  {
    name: 'denies with suppressed after a complaint',
    state: state([event()], { suppressions: [suppression('complaint')] }),
    expect: [R.suppressed],
  },
  {
    name: 'denies with suppressed for a known minor',
    state: state([event()], { suppressions: [suppression('minor')] }),
    expect: [R.suppressed],
  },
  {
    name: 'denies with suppressed after an email hard bounce',
    state: state([event()], { suppressions: [suppression('hard_bounce', 'email')] }),
    expect: [R.suppressed],
  },
  {
    name: 'allows email despite an sms-only hard bounce',
    state: state([event()], { suppressions: [suppression('hard_bounce', 'sms')] }),
    expect: 'allow',
  },
  {
    name: 'denies with subject_erased and suppressed for an erased subject',
    state: state([event()], { erased: true, suppressions: [suppression('erased')] }),
    expect: [R.subject_erased, R.suppressed],
  },
  {
    name: 'denies with state_unavailable alone when the store failed, whatever it returned',
    state: state([event()], { loadError: 'ETIMEDOUT', erased: true }),
    expect: [R.state_unavailable],
  },
  {
    name: 'denies with personalisation_off for a personalised purpose',
    req: { purpose: 'marketing.personalized', fields: ['loyalty_tier'] },
    state: state([event({ purpose: 'marketing.personalized' })], { personalisation: 'off' }),
    expect: [R.personalisation_off],
  },
  {
    name: 'allows a personalised purpose while personalisation is on',
    req: { purpose: 'marketing.personalized', fields: ['loyalty_tier'] },
    state: state([event({ purpose: 'marketing.personalized' })]),
    expect: 'allow',
  },
  {
    name: 'allows a non-personalised purpose while personalisation is off',
    state: state([event()], { personalisation: 'off' }),
    expect: 'allow',
  },
  {
    name: 'reports every reason at once, in precedence order',
    req: { processor: 'legacy-esp', fields: ['first_name', 'health_interest'] },
    state: state([event({ type: 'withdrawn' })], { erased: true, suppressions: [suppression('objection')] }),
    expect: [R.subject_erased, R.suppressed, R.processor_agreement_expired, R.field_not_allowed, R.consent_withdrawn],
  },
  {
    name: 'stacks every consent-side reason of one stale grant',
    req: { purpose: reengagement.purpose },
    state: state([
      event({
        purpose: reengagement.purpose,
        occurredAt: '2024-02-01T00:00:00Z',
        noticeVersion: 1,
        noticeHash: 'e'.repeat(64),
      }),
    ]),
    expect: [R.consent_expired, R.legal_basis_mismatch, R.notice_unknown, R.notice_outdated],
  },
  {
    name: 'denies a CN subject soft opt-in mail: not offered there, and PIPL allows no soft opt-in',
    req: { purpose: reengagement.purpose },
    state: state([event({ ...reengagement, ...cn }), transferGrant()]),
    expect: [R.jurisdiction_not_offered, R.legal_basis_not_permitted],
  },
  {
    name: 'denies with legal_basis_not_permitted a soft opt-in purpose offered in CN too',
    req: { purpose: reengagement.purpose },
    policy: everywhere,
    state: state([event({ ...reengagement, ...cn }), transferGrant()]),
    expect: [R.legal_basis_not_permitted],
  },
  {
    name: 'allows the same soft opt-in mail to a UK subject',
    req: { purpose: reengagement.purpose },
    state: state([event({ ...reengagement, jurisdiction: 'GB' })]),
    expect: 'allow',
  },
  {
    name: 'denies a CN subject mail through the EU relay without a cross-border consent',
    state: state([event(cn)]),
    expect: [R.cross_border_consent_missing],
  },
  {
    name: 'allows a CN subject mail through the EU relay with a separate consent naming it',
    state: state([event(cn), transferGrant()]),
    expect: 'allow',
  },
  {
    name: 'denies a cross-border consent given under a notice that did not name the recipient',
    state: state([
      event(cn),
      transferGrant({ noticeVersion: 2, noticeHash: noticeHash(2, 'zh-CN'), occurredAt: '2024-10-01T00:00:00Z' }),
    ]),
    expect: [R.cross_border_consent_missing],
  },
  {
    name: 'denies once the cross-border consent is withdrawn',
    state: state([event(cn), transferGrant(), transferGrant({ type: 'withdrawn' })]),
    expect: [R.cross_border_consent_missing],
  },
  {
    name: 'denies with cross_border_transfer_not_permitted once the standard-contract filing lapsed',
    policy: lapsedFiling,
    state: state([event(cn), transferGrant()]),
    expect: [R.cross_border_transfer_not_permitted],
  },
  {
    name: 'allows a CN subject text through the gateway in CN: nothing leaves China',
    req: { purpose: 'marketing.sms.promotions', channel: 'sms', processor: 'sms-gateway' },
    state: state([event({ ...cn, purpose: 'marketing.sms.promotions', channel: 'sms' })]),
    expect: 'allow',
  },
  {
    name: 'allows a US-CA subject mail to the EU relay: the US asks for no mechanism',
    state: state([event({ jurisdiction: 'US-CA' })]),
    expect: 'allow',
  },
  {
    name: 'applies the strictest rules to a jurisdiction no rule covers',
    state: state([event({ jurisdiction: 'BR' })]),
    expect: [R.age_unknown, R.cross_border_transfer_not_permitted, R.cross_border_consent_missing],
  },
  {
    name: 'denies with guardian_consent_missing for a DE subject who may be under 16',
    state: state([event()], { birthYear: 2010 }),
    expect: [R.guardian_consent_missing],
  },
  {
    name: 'allows a DE minor whose guardian consented',
    state: state([event({ givenBy: 'guardian' })], { birthYear: 2010 }),
    expect: 'allow',
  },
  {
    name: 'allows a FR subject born in 2010: France sets the age at 15',
    state: state([event({ jurisdiction: 'FR' })], { birthYear: 2010 }),
    expect: 'allow',
  },
  {
    name: 'denies a CN minor whose cross-border consent came from the child, not the guardian',
    state: state([event({ ...cn, givenBy: 'guardian' }), transferGrant()], { birthYear: 2013 }),
    expect: [R.cross_border_consent_missing],
  },
  {
    name: 'allows a CN minor when the guardian gave both consents',
    state: state([event({ ...cn, givenBy: 'guardian' }), transferGrant({ givenBy: 'guardian' })], { birthYear: 2013 }),
    expect: 'allow',
  },
  {
    name: 'denies with state_unavailable and policy reasons together',
    req: { purpose: 'nope', processor: 'nobody' },
    state: state([], { loadError: 'parse error' }),
    expect: [R.state_unavailable, R.purpose_unknown, R.processor_unknown],
  },
];

for (const row of rows) {
  test(row.name, () => {
    const d = decide(request(row.req), row.state, row.policy ?? compiled, row.now ? new Date(row.now) : NOW);
    if (row.expect === 'allow') assert.equal(d.outcome, 'allow', d.outcome === 'deny' ? d.reasons.join(',') : '');
    else {
      assert.equal(d.outcome, 'deny');
      if (d.outcome === 'deny') assert.deepEqual(d.reasons, row.expect);
    }
  });
}

test('the table reaches every reason code', () => {
  const seen = new Set(rows.flatMap((r) => (r.expect === 'allow' ? [] : r.expect)));
  assert.deepEqual(
    reasonOrder.filter((c) => !seen.has(c)),
    [],
  );
});

test('an allow releases the template fields plus the address field and withholds nothing', () => {
  const d = decide(request({ fields: ['first_name', 'locale'] }), state([event()]), compiled, NOW);
  assert.equal(d.outcome, 'allow');
  assert.deepEqual(d.fieldsRequested, ['first_name', 'locale', 'email']);
  assert.deepEqual(d.fieldsReleased, ['first_name', 'locale', 'email']);
  assert.deepEqual(d.fieldsWithheld, []);
  assert.equal(d.policyVersion, 'test-policy-v1');
  assert.equal(d.decidedAt, NOW.toISOString());
});

test('a deny releases nothing and names the fields outside the allow-list', () => {
  const d = decide(request({ fields: ['email', 'health_interest'] }), state([event()]), compiled, NOW);
  assert.equal(d.outcome, 'deny');
  assert.deepEqual(d.fieldsRequested, ['email', 'health_interest']);
  assert.deepEqual(d.fieldsReleased, []);
  assert.deepEqual(d.fieldsWithheld, ['email', 'health_interest']);
  if (d.outcome === 'deny') assert.deepEqual(d.fieldsNotAllowed, ['health_interest']);
});

test('a decision names the consent event and notice it relied on, including an ancestor grant', () => {
  const grant = event({ purpose: 'marketing.email' });
  const d = decide(request(), state([grant]), compiled, NOW);
  assert.equal(d.consentEventId, grant.id);
  assert.equal(d.noticeVersion, 3);
  const none = decide(request(), state(), compiled, NOW);
  assert.equal(none.consentEventId, null);
  assert.equal(none.noticeVersion, null);
});
