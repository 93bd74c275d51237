// Rows on what the policy allows: purposes, channels, processors, fields and separate consents.
import { compilePolicy } from '../../domain/policy.js';
import { policy } from '../../policy/index.js';
import { event, state } from './guard-fixtures.js';
import { R, type Row } from './guard-table.js';

const healthless = compilePolicy(
  {
    ...policy,
    processors: policy.processors.map((p) =>
      p.id === 'smtp-relay' ? { ...p, fields: p.fields.filter((f) => f !== 'timezone') } : p,
    ),
  },
  'test-policy-no-timezone',
);

export const policyRows: Row[] = [
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
];
