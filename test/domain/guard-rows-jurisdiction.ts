// Rows on where the subject lives: offered jurisdictions, permitted bases, cross-border transfers and minors.
import type { ConsentEvent } from '../../domain/consent.js';
import { compilePolicy } from '../../domain/policy.js';
import { policy } from '../../policy/index.js';
import { event, noticeHash, state } from './guard-fixtures.js';
import { R, reengagement, type Row } from './guard-table.js';

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

export const jurisdictionRows: Row[] = [
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
