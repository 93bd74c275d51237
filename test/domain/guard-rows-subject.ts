// Rows on the subject's own state: suppressions, erasure, an unreadable store, personalisation, and stacked reasons.
import { event, state, suppression } from './guard-fixtures.js';
import { R, reengagement, type Row } from './guard-table.js';

export const subjectRows: Row[] = [
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
];
