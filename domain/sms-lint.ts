import {
  hasOptOutInstruction,
  hasSignature,
  OPT_OUT_KEYWORDS,
  planSms,
  SMS_LIMITS,
  type SmsEncoding,
} from './sms-text.js';

/** A carrier-rule finding on a marketing SMS template. */
export interface SmsRuleProblem {
  readonly code: 'sms_signature_missing' | 'sms_opt_out_missing';
  readonly message: string;
}

// Handlebars comments and expressions: the rules read the literal text around them.
const stripComments = (source: string): string => source.replace(/\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}/g, '');

/**
 * The Chinese marketing-SMS rules (MIIT Order 31, Advertising Law 43): a 【signature】 first, so the reader knows
 * the sender, and an opt-out instruction naming a reply keyword the inbound handler honours.
 */
export function smsRuleProblems(source: string): SmsRuleProblem[] {
  const text = stripComments(source);
  const out: SmsRuleProblem[] = [];
  if (!hasSignature(text))
    out.push({
      code: 'sms_signature_missing',
      message: 'does not start with a sender signature in 【】; begin the text with 【{{sender.name}}】 or 【Brand】',
    });
  if (!hasOptOutInstruction(text)) {
    out.push({
      code: 'sms_opt_out_missing',
      message: `carries no opt-out instruction; add one naming a reply keyword (${OPT_OUT_KEYWORDS.join(', ')}), e.g. 回复TD退订`,
    });
  }
  return out;
}

/** The segment count of an SMS template's fixed text; every merged value adds to it. */
export interface SmsSegmentReport {
  readonly encoding: SmsEncoding;
  /** Characters of the fixed text (septets for GSM-7, UTF-16 units for UCS-2). */
  readonly length: number;
  readonly segments: number;
  /** Characters per segment at this length: the single-message limit, or the per-part limit once concatenated. */
  readonly perSegment: number;
  /** Expressions whose values are not counted. */
  readonly expressions: number;
}

/** Counts the segments of a template's fixed text (UCS-2: 70 single, 67 per part; GSM-7: 160 and 153). */
export function smsSegmentReport(source: string): SmsSegmentReport {
  const text = stripComments(source);
  const expressions = (text.match(/\{\{[^}]*\}\}/g) ?? []).length;
  const plan = planSms(text.replace(/\{\{[^}]*\}\}/g, '').trim());
  const limits = SMS_LIMITS[plan.encoding];
  return {
    encoding: plan.encoding,
    length: plan.length,
    segments: plan.parts.length,
    perSegment: plan.parts.length > 1 ? limits.part : limits.single,
    expressions,
  };
}
