// Rows on the consent record itself: grants, withdrawals, expiry, double opt-in, notices and the legal basis.
import { event, state } from './guard-fixtures.js';
import { R, reengagement, type Row } from './guard-table.js';

export const consentRows: Row[] = [
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
];
