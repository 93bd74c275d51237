/**
 * Why the guard denied a send. The object's key order is the precedence: `decide()` reports every reason that
 * applies, always in this order, so logs and reports group identically.
 */
export const ReasonCode = {
  /** The store failed or returned unreadable state: fail closed. */
  state_unavailable: 'state_unavailable',
  subject_erased: 'subject_erased',
  /** A global suppression (unsubscribe-all, bounce, complaint, minor, objection, erased) for this channel. */
  suppressed: 'suppressed',
  /** The purpose personalises and the subject turned personalisation off (PIPL 24). */
  personalisation_off: 'personalisation_off',
  purpose_unknown: 'purpose_unknown',
  channel_not_allowed: 'channel_not_allowed',
  processor_unknown: 'processor_unknown',
  processor_not_authorized: 'processor_not_authorized',
  /** No agreement in force at decision time (missing, expired or not yet valid). */
  processor_agreement_expired: 'processor_agreement_expired',
  /** A requested field is outside the purpose's or the processor's allow-list (minimum necessary). */
  field_not_allowed: 'field_not_allowed',
  /** The purpose needs its own consent event and has none (an ancestor's does not count). */
  separate_consent_missing: 'separate_consent_missing',
  no_consent: 'no_consent',
  consent_withdrawn: 'consent_withdrawn',
  consent_expired: 'consent_expired',
  /** A double-opt-in grant not confirmed yet. */
  consent_pending: 'consent_pending',
  /** The consent was recorded under a different legal basis than the purpose relies on. */
  legal_basis_mismatch: 'legal_basis_mismatch',
  /** The consent names a notice version or hash the policy does not know: the record cannot be verified. */
  notice_unknown: 'notice_unknown',
  /** The consent predates the purpose's minimum notice or the latest material notice (PIPL 14). */
  notice_outdated: 'notice_outdated',
  /** The purpose is not offered in the subject's jurisdiction (its `jurisdictions` list leaves it out). */
  jurisdiction_not_offered: 'jurisdiction_not_offered',
  /** The subject's jurisdiction does not allow marketing on the purpose's legal basis (PIPL 13: no soft opt-in). */
  legal_basis_not_permitted: 'legal_basis_not_permitted',
  /** The jurisdiction requires a known age and the profile records no birth year. */
  age_unknown: 'age_unknown',
  /** The subject may be under the jurisdiction's guardian age and the consent was not given by a guardian (PIPL 31). */
  guardian_consent_missing: 'guardian_consent_missing',
  /** The processor is abroad and has no transfer mechanism in force for the subject's jurisdiction (PIPL 38). */
  cross_border_transfer_not_permitted: 'cross_border_transfer_not_permitted',
  /** No separate consent to providing data to this overseas recipient, under a notice naming it (PIPL 39). */
  cross_border_consent_missing: 'cross_border_consent_missing',
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** Every reason code in precedence order. */
export const reasonOrder: readonly ReasonCode[] = Object.values(ReasonCode);
