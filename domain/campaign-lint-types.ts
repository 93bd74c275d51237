// What campaign lint reports and checks against, apart from the checks themselves, so that each check module
// (campaign-lint.ts, campaign-lint-template.ts) imports it without importing the other.
import type { CompiledPolicy } from './policy.js';
import type { Segment } from './segment.js';
import type { TemplateFacts } from './template.js';

/** Stable codes for everything `campaign lint` can find. */
export const LintCode = {
  field_not_allowed: 'field_not_allowed',
  processor_not_authorized: 'processor_not_authorized',
  channel_not_allowed: 'channel_not_allowed',
  template_missing: 'template_missing',
  template_channel_mismatch: 'template_channel_mismatch',
  unsubscribe_block_missing: 'unsubscribe_block_missing',
  sender_identity_missing: 'sender_identity_missing',
  why_link_missing: 'why_link_missing',
  sms_signature_missing: 'sms_signature_missing',
  sms_opt_out_missing: 'sms_opt_out_missing',
  promotional_essential: 'promotional_essential',
  segment_unknown: 'segment_unknown',
  purpose_unknown: 'purpose_unknown',
  branch_target_invalid: 'branch_target_invalid',
  broadcast_shape: 'broadcast_shape',
  step_id_duplicate: 'step_id_duplicate',
  jurisdiction_not_offered: 'jurisdiction_not_offered',
  legal_basis_not_permitted: 'legal_basis_not_permitted',
  cross_border_transfer_not_permitted: 'cross_border_transfer_not_permitted',
  cross_border_consent_unavailable: 'cross_border_consent_unavailable',
  quiet_hours_unguarded: 'quiet_hours_unguarded',
} as const;
export type LintCode = (typeof LintCode)[keyof typeof LintCode];

/** One lint finding, naming the campaign and, where it applies, the step, template and field. */
export interface LintProblem {
  readonly code: LintCode;
  readonly campaign: string;
  readonly step?: string;
  readonly template?: string;
  readonly field?: string;
  readonly message: string;
}

/** What the lint checks a campaign against; `nowMs` also checks processor agreements are in force. */
export interface LintContext {
  readonly templates: ReadonlyMap<string, TemplateFacts>;
  readonly segments: Readonly<Record<string, Segment>>;
  readonly policy: CompiledPolicy;
  readonly nowMs?: number;
}
