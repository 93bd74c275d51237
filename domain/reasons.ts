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
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** Every reason code in precedence order. */
export const reasonOrder: readonly ReasonCode[] = Object.values(ReasonCode);
