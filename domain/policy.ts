import { z } from 'zod';
import { Brand } from './brand.js';
import { channels } from './channel.js';
import { Notice, Processor, Purpose } from './purpose.js';
import { purposeAncestors } from './purpose-id.js';
import { projectionKey } from './consent-state.js';
import { isSensitiveField, SubjectFieldSpec } from './subject-field.js';
import {
  compileJurisdictions,
  type CompiledJurisdiction,
  JurisdictionRule,
  resolveJurisdiction,
  strictestRule,
  type TransferMechanism,
} from './jurisdiction.js';
import { RetentionPolicy } from './retention.js';
import { Monitoring } from './monitoring.js';

export { Channel, ChannelSchema, LegalBasis, LegalBasisSchema } from './channel.js';
export { Notice, Processor, ProcessorRole, Purpose, type ProcessorInput, type PurposeInput } from './purpose.js';
export { PurposeId } from './purpose-id.js';
export { Brand } from './brand.js';
export { SubjectFieldSpec } from './subject-field.js';
export {
  JurisdictionRule,
  TransferMechanism,
  type JurisdictionRuleInput,
  type CompiledJurisdiction,
} from './jurisdiction.js';
export { RetentionPolicy } from './retention.js';
export { Monitoring } from './monitoring.js';

/** The whole compliance configuration: purposes, notices, processors and the subject schema. */
export const PolicyBundle = z.object({
  purposes: z.array(Purpose),
  notices: z.array(Notice),
  processors: z.array(Processor),
  subjectFields: z.array(SubjectFieldSpec),
  /** Which subject field holds the address on each channel. */
  channelAddressField: z.object({ email: z.string(), sms: z.string() }),
  /** Marketing rules per jurisdiction; a subject matching none gets the strictest combination (fail closed). */
  jurisdictions: z
    .array(JurisdictionRule)
    .min(1, 'add at least one jurisdiction rule (CN, EU, UK, US…); see policy/jurisdictions.ts'),
  /** How long each data class is kept (PIPL 19). */
  retention: RetentionPolicy,
  /** Name, logo, colours and postal address for pages and messages; `policy check` requires it. */
  brand: Brand.optional(),
  /** The monitor's default thresholds and who hears about alerts; each campaign may override the thresholds. */
  monitoring: Monitoring.prefault({}),
});
export type PolicyBundle = z.infer<typeof PolicyBundle>;
/** A bundle as written in policy files, before defaults apply. */
export type PolicyBundleInput = z.input<typeof PolicyBundle>;

/** A purpose with its lookups precomputed for the guard. */
export interface CompiledPurpose {
  readonly purpose: Purpose;
  readonly allowedFields: ReadonlySet<string>;
  readonly channels: ReadonlySet<string>;
  /** Separate-consent, sensitive, or allowing a sensitive field: only an event on exactly this purpose counts. */
  readonly exactConsentOnly: boolean;
  /** Per channel, the projection keys whose event may count, most specific first. */
  readonly consentKeys: Readonly<Record<string, readonly string[]>>;
  readonly maxConsentAgeMs: number;
}

/** A processor with its lookups and agreement window precomputed. */
export interface CompiledProcessor {
  readonly processor: Processor;
  readonly purposes: ReadonlySet<string>;
  readonly fields: ReadonlySet<string>;
  readonly hasAgreement: boolean;
  readonly validFromMs: number;
  readonly validUntilMs: number;
  /** The jurisdiction rule code of its region, or the region itself when no rule covers it. */
  readonly regionCode: string;
  /** Source rule code → its transfer mechanisms with their windows. */
  readonly mechanisms: ReadonlyMap<
    string,
    readonly { readonly fromMs: number; readonly untilMs: number; readonly mechanism: TransferMechanism }[]
  >;
}

/** The policy in the shape `decide()` reads: maps instead of arrays, times as epoch milliseconds. */
export interface CompiledPolicy {
  readonly version: string;
  readonly bundle: PolicyBundle;
  readonly purposes: ReadonlyMap<string, CompiledPurpose>;
  readonly processors: ReadonlyMap<string, CompiledProcessor>;
  /** Notice version → the content hashes published under it (one per language). */
  readonly noticeHashes: ReadonlyMap<number, ReadonlySet<string>>;
  /** Material notices, latest effective first. */
  readonly materialNotices: readonly { readonly effectiveAtMs: number; readonly version: number }[];
  /** Channel → its address field; a Map so an unknown channel string finds nothing, not a prototype member. */
  readonly addressFields: ReadonlyMap<string, string>;
  readonly fields: ReadonlyMap<string, SubjectFieldSpec>;
  /** Every code a jurisdiction rule answers to → the rule. */
  readonly jurisdictions: ReadonlyMap<string, CompiledJurisdiction>;
  /** What a code no rule answers to gets. */
  readonly strictest: CompiledJurisdiction;
  /** Processor id → the purposes that are the separate consent to transfers to it. */
  readonly transferPurposes: ReadonlyMap<string, readonly CompiledPurpose[]>;
  /** Notice content hash → the processors it names as overseas recipients. */
  readonly noticeRecipients: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The rule for a recorded jurisdiction code; unknown codes get the strictest rule. */
export function jurisdictionOf(policy: CompiledPolicy, code: string): CompiledJurisdiction {
  return resolveJurisdiction(policy.jurisdictions, policy.strictest, code);
}

/** Whether a processor holds data outside the jurisdiction (an unknown jurisdiction is abroad everywhere). */
export function isAbroad(proc: CompiledProcessor, j: CompiledJurisdiction): boolean {
  return !j.known || proc.regionCode !== j.code;
}

/** The transfer mechanism for data from the jurisdiction in force at `nowMs`, the one the log records as relied on. */
export function transferMechanismAt(
  proc: CompiledProcessor,
  j: CompiledJurisdiction,
  nowMs: number,
): TransferMechanism | undefined {
  return (proc.mechanisms.get(j.code) ?? []).find((m) => m.fromMs <= nowMs && nowMs < m.untilMs)?.mechanism;
}

/** Whether a processor has a transfer mechanism for data from the jurisdiction in force at `nowMs`. */
export function hasTransferMechanism(proc: CompiledProcessor, j: CompiledJurisdiction, nowMs: number): boolean {
  return transferMechanismAt(proc, j, nowMs) !== undefined;
}

const DAY_MS = 86_400_000;

function compilePurpose(p: Purpose, fields: ReadonlyMap<string, SubjectFieldSpec>): CompiledPurpose {
  const keys: Record<string, string[]> = {};
  const sensitiveField = p.allowedFields.some((f) => {
    const spec = fields.get(f);
    return spec !== undefined && isSensitiveField(spec);
  });
  const exactConsentOnly = p.separateConsent || p.sensitive || sensitiveField;
  const chain = exactConsentOnly ? [p.id] : [p.id, ...purposeAncestors(p.id)];
  for (const c of channels) keys[c] = chain.map((id) => projectionKey(id, c));
  return {
    purpose: p,
    allowedFields: new Set(p.allowedFields),
    channels: new Set(p.channels),
    exactConsentOnly,
    consentKeys: keys,
    maxConsentAgeMs: p.maxConsentAgeDays * DAY_MS,
  };
}

function compileProcessor(p: Processor, jurisdictions: ReadonlyMap<string, CompiledJurisdiction>): CompiledProcessor {
  const mechanisms = new Map<string, { fromMs: number; untilMs: number; mechanism: TransferMechanism }[]>();
  for (const m of p.transferMechanisms ?? []) {
    const list = mechanisms.get(m.from) ?? [];
    list.push({ fromMs: Date.parse(m.validFrom), untilMs: Date.parse(m.validUntil), mechanism: m });
    mechanisms.set(m.from, list);
  }
  const from = p.agreementValidFrom === undefined ? Number.NEGATIVE_INFINITY : Date.parse(p.agreementValidFrom);
  const until = p.agreementValidUntil === undefined ? Number.POSITIVE_INFINITY : Date.parse(p.agreementValidUntil);
  return {
    processor: p,
    purposes: new Set(p.purposes),
    fields: new Set(p.fields),
    hasAgreement: p.agreementId !== undefined,
    validFromMs: from,
    validUntilMs: until,
    regionCode: (jurisdictions.get(p.region) ?? jurisdictions.get(p.region.slice(0, 2)))?.code ?? p.region,
    mechanisms,
  };
}

/** Builds the guard's lookup maps; `version` is the policy hash, computed outside the pure core. */
export function compilePolicy(bundle: PolicyBundle, version: string): CompiledPolicy {
  const fields = new Map(bundle.subjectFields.map((f) => [f.name, f] as const));
  const noticeHashes = new Map<number, Set<string>>();
  for (const n of bundle.notices) {
    const set = noticeHashes.get(n.version) ?? new Set<string>();
    set.add(n.contentHash);
    noticeHashes.set(n.version, set);
  }
  const materialNotices = bundle.notices
    .filter((n) => n.material)
    .map((n) => ({ effectiveAtMs: Date.parse(n.effectiveAt), version: n.version }))
    .sort((a, b) => b.effectiveAtMs - a.effectiveAtMs || b.version - a.version);
  const jurisdictions = compileJurisdictions(bundle.jurisdictions);
  const purposes = new Map(bundle.purposes.map((p) => [p.id, compilePurpose(p, fields)] as const));
  const transferPurposes = new Map<string, CompiledPurpose[]>();
  for (const cp of purposes.values()) {
    const to = cp.purpose.transferTo;
    if (to !== undefined) transferPurposes.set(to, [...(transferPurposes.get(to) ?? []), cp]);
  }
  const noticeRecipients = new Map(
    bundle.notices.map((n) => [n.contentHash, new Set(n.overseasRecipients ?? [])] as const),
  );
  return {
    version,
    bundle,
    purposes,
    processors: new Map(bundle.processors.map((p) => [p.id, compileProcessor(p, jurisdictions)] as const)),
    noticeHashes,
    materialNotices,
    addressFields: new Map(channels.map((c) => [c, bundle.channelAddressField[c]] as const)),
    fields,
    jurisdictions,
    strictest: strictestRule(bundle.jurisdictions),
    transferPurposes,
    noticeRecipients,
  };
}
