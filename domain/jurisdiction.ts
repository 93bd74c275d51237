import { z } from 'zod';
import { ChannelSchema, LegalBasisSchema, type LegalBasis } from './channel.js';
import { Jurisdiction } from './consent.js';

const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time must be HH:MM, like 21:00');

/** Hours in which no marketing message may go out on a channel, in the jurisdiction's own time zone. */
export const QuietHours = z.object({
  start: ClockTime,
  end: ClockTime,
  timezone: z.string().regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, 'timezone must be an IANA name like Asia/Shanghai'),
});
export type QuietHours = z.infer<typeof QuietHours>;

/** The marketing rules of one jurisdiction: legal bases, guardian age, quiet hours and transfers abroad. */
export const JurisdictionRule = z.object({
  /** The rule's own code (`CN`, `EU`, `UK`, `US`); consent events may also carry a code listed in `includes`. */
  code: z.string().regex(/^[A-Z]{2}$/, 'code must be two capital letters, like CN or EU'),
  name: z.string().min(1),
  /** Codes that fall under this rule: member states (`DE`), aliases (`GB`); `US-CA` falls under `US` by itself. */
  includes: z.array(Jurisdiction).default([]),
  /** The legal bases on which marketing may be sent (PIPL 13 knows no soft opt-in). */
  marketingBases: z.array(LegalBasisSchema).min(1),
  /** Below this age a guardian's consent is needed (PIPL 31: 14; GDPR 8: 16 unless a member state lowers it). */
  guardianConsentUnderAge: z.number().int().min(0).max(21),
  /** Per included code, a different guardian age (GDPR 8 lets member states choose 13 to 16). */
  guardianAgeByCode: z.record(z.string(), z.number().int().min(0).max(21)).default({}),
  /** A subject without a recorded birth year is denied (`age_unknown`) instead of treated as an adult. */
  ageRequired: z.boolean().default(false),
  quietHours: z.partialRecord(ChannelSchema, QuietHours).default({}),
  /** What moving a subject's data to a processor in another jurisdiction needs (PIPL 38-39, GDPR 44-46). */
  transferAbroad: z.object({ mechanismRequired: z.boolean(), separateConsent: z.boolean() }),
});
export type JurisdictionRule = z.infer<typeof JurisdictionRule>;
/** A rule as written in policy files, before defaults apply. */
export type JurisdictionRuleInput = z.input<typeof JurisdictionRule>;

/** The legal instrument a processor relies on to receive data from a jurisdiction (PIPL 38, GDPR 45-46). */
export const TransferMechanismKind = {
  standard_contract: 'standard_contract',
  certification: 'certification',
  security_assessment: 'security_assessment',
  adequacy: 'adequacy',
} as const;
export type TransferMechanismKind = (typeof TransferMechanismKind)[keyof typeof TransferMechanismKind];

/** One transfer mechanism: for data from `from`, which instrument, its filing or certificate reference and dates. */
export const TransferMechanism = z.object({
  from: z.string().regex(/^[A-Z]{2}$/, 'from must be a jurisdiction rule code, like CN'),
  kind: z.enum(TransferMechanismKind),
  reference: z.string().min(1),
  validFrom: z.iso.datetime(),
  validUntil: z.iso.datetime(),
});
export type TransferMechanism = z.infer<typeof TransferMechanism>;

/** A rule with its lookups precomputed; `known: false` is the strictest fallback for an unknown code. */
export interface CompiledJurisdiction {
  readonly code: string;
  readonly known: boolean;
  readonly bases: ReadonlySet<LegalBasis>;
  readonly guardianAge: number;
  readonly ageRequired: boolean;
  readonly mechanismRequired: boolean;
  readonly separateConsent: boolean;
  readonly quietHours: JurisdictionRule['quietHours'];
}

function compileRule(r: JurisdictionRule, age: number): CompiledJurisdiction {
  return {
    code: r.code,
    known: true,
    bases: new Set(r.marketingBases),
    guardianAge: age,
    ageRequired: r.ageRequired,
    mechanismRequired: r.transferAbroad.mechanismRequired,
    separateConsent: r.transferAbroad.separateConsent,
    quietHours: r.quietHours,
  };
}

/** The strictest combination of every rule: what an unknown jurisdiction gets (fail closed). */
export function strictestRule(rules: readonly JurisdictionRule[]): CompiledJurisdiction {
  // The bases every rule allows; consent alone when they share none (or there are no rules).
  const shared = (rules[0]?.marketingBases ?? []).filter((b) => rules.every((r) => r.marketingBases.includes(b)));
  const bases = new Set<LegalBasis>(shared.length > 0 ? shared : ['consent']);
  const ages = rules.flatMap((r) => [r.guardianConsentUnderAge, ...Object.values(r.guardianAgeByCode)]);
  return {
    code: 'unknown',
    known: false,
    bases,
    guardianAge: Math.max(18, ...ages),
    ageRequired: true,
    mechanismRequired: true,
    separateConsent: true,
    quietHours: Object.assign({}, ...rules.map((r) => r.quietHours)) as JurisdictionRule['quietHours'],
  };
}

/** Every code a rule answers to (its own, its includes, and per-code guardian ages) → the compiled rule. */
export function compileJurisdictions(rules: readonly JurisdictionRule[]): ReadonlyMap<string, CompiledJurisdiction> {
  const out = new Map<string, CompiledJurisdiction>();
  for (const r of rules) {
    const base = compileRule(r, r.guardianConsentUnderAge);
    out.set(r.code, base);
    for (const c of r.includes) out.set(c, c in r.guardianAgeByCode ? compileRule(r, r.guardianAgeByCode[c]!) : base);
  }
  return out;
}

/** The rule for a recorded jurisdiction code: exact, then its country part (`US-CA` → `US`), else the strictest. */
export function resolveJurisdiction(
  map: ReadonlyMap<string, CompiledJurisdiction>,
  strictest: CompiledJurisdiction,
  code: string,
): CompiledJurisdiction {
  return map.get(code) ?? map.get(code.slice(0, 2)) ?? strictest;
}

/** Whether someone born in `birthYear` may still be under `age` in `nowMs`'s UTC year (a year alone leaves a doubt). */
export function mayBeUnder(birthYear: number, age: number, nowMs: number): boolean {
  return new Date(nowMs).getUTCFullYear() - birthYear - 1 < age;
}
