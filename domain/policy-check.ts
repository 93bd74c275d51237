import { z } from 'zod';
import { channels } from './channel.js';
import { PolicyBundle } from './policy.js';
import { Notice, Processor, Purpose } from './purpose.js';
import { isSensitiveField, SubjectFieldSpec } from './subject-field.js';
import { formatPath } from './load-result.js';
import { JurisdictionRule } from './jurisdiction.js';
import { RetentionPolicy } from './retention.js';
import { checkJurisdictions, JurisdictionProblemCode } from './policy-check-jurisdiction.js';
import { checkBrand, checkFieldLabels, checkPurposeTexts } from './policy-check-texts.js';

export { formatPath } from './load-result.js';

/** What can be wrong with a policy bundle; stable snake_case codes. */
export const PolicyProblemCode = {
  schema_invalid: 'schema_invalid',
  channel_unknown: 'channel_unknown',
  duplicate_id: 'duplicate_id',
  field_unknown: 'field_unknown',
  address_field_unknown: 'address_field_unknown',
  sensitive_field_without_separate_consent: 'sensitive_field_without_separate_consent',
  sensitive_purpose_without_separate_consent: 'sensitive_purpose_without_separate_consent',
  marketing_basis_invalid: 'marketing_basis_invalid',
  purpose_without_pia: 'purpose_without_pia',
  notice_unknown: 'notice_unknown',
  notice_inconsistent: 'notice_inconsistent',
  processor_without_agreement: 'processor_without_agreement',
  agreement_window_invalid: 'agreement_window_invalid',
  processor_purpose_unknown: 'processor_purpose_unknown',
  processor_field_unneeded: 'processor_field_unneeded',
  processor_without_pia: 'processor_without_pia',
  ...JurisdictionProblemCode,
  brand_missing: 'brand_missing',
  purpose_text_missing: 'purpose_text_missing',
  field_label_missing: 'field_label_missing',
  brand_address_missing: 'brand_address_missing',
  retention_inconsistent: 'retention_inconsistent',
} as const;
export type PolicyProblemCode = (typeof PolicyProblemCode)[keyof typeof PolicyProblemCode];

/** One problem, located by a path such as `purposes[3].allowedFields[2]`. */
export interface PolicyProblem {
  readonly path: string;
  readonly code: PolicyProblemCode;
  readonly message: string;
}

/** Either a valid bundle, or every problem found (never just the first). */
export type PolicyCheckResult =
  | { readonly ok: true; readonly policy: PolicyBundle; readonly problems: readonly [] }
  | { readonly ok: false; readonly problems: readonly PolicyProblem[] };

const Shape = z.object({
  purposes: z.array(z.unknown()),
  notices: z.array(z.unknown()),
  processors: z.array(z.unknown()),
  subjectFields: z.array(z.unknown()),
  channelAddressField: z.record(z.string(), z.unknown()),
  jurisdictions: z
    .array(z.unknown())
    .min(1, 'add at least one jurisdiction rule (CN, EU, UK, US…); see policy/jurisdictions.ts'),
  retention: z.unknown(),
});

type Report = (path: readonly PropertyKey[], code: PolicyProblemCode, message: string) => void;

// Parse item by item, so one broken purpose does not hide the semantic problems of the others.
function parseEach<T>(items: readonly unknown[], schema: z.ZodType<T>, key: string, report: Report): (T | undefined)[] {
  return items.map((item, i) => {
    const r = schema.safeParse(item);
    if (r.success) return r.data;
    for (const issue of r.error.issues) {
      const path = [key, i, ...issue.path];
      const code =
        issue.path.includes('channels') && issue.code === 'invalid_value'
          ? PolicyProblemCode.channel_unknown
          : PolicyProblemCode.schema_invalid;
      report(path, code, issue.message);
    }
    return undefined;
  });
}

function checkDuplicates(ids: readonly (string | undefined)[], key: string, what: string, report: Report): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (id === undefined) return;
    if (seen.has(id)) report([key, i], PolicyProblemCode.duplicate_id, `${what} "${id}" is defined more than once`);
    seen.add(id);
  });
}

function checkPurposes(
  purposes: readonly (Purpose | undefined)[],
  fields: ReadonlyMap<string, SubjectFieldSpec>,
  noticeVersions: ReadonlySet<number>,
  report: Report,
): void {
  purposes.forEach((p, i) => {
    if (p === undefined) return;
    const at = (...rest: PropertyKey[]) => ['purposes', i, ...rest];
    p.allowedFields.forEach((f, j) => {
      const spec = fields.get(f);
      if (spec === undefined)
        report(at('allowedFields', j), PolicyProblemCode.field_unknown, `field "${f}" is not in the subject schema`);
      else if (isSensitiveField(spec) && !p.separateConsent) {
        report(
          at('allowedFields', j),
          PolicyProblemCode.sensitive_field_without_separate_consent,
          `sensitive field "${f}" needs a purpose with separateConsent: true`,
        );
      }
    });
    if (p.sensitive && !p.separateConsent)
      report(
        at('sensitive'),
        PolicyProblemCode.sensitive_purpose_without_separate_consent,
        `sensitive purpose "${p.id}" must set separateConsent: true (PIPL 29)`,
      );
    if (p.id.startsWith('marketing.') && p.legalBasis !== 'consent' && p.legalBasis !== 'soft_opt_in') {
      report(
        at('legalBasis'),
        PolicyProblemCode.marketing_basis_invalid,
        `marketing purpose "${p.id}" must rely on consent or soft_opt_in, not ${p.legalBasis}`,
      );
    }
    if (p.piaId === undefined)
      report(
        at('piaId'),
        PolicyProblemCode.purpose_without_pia,
        `purpose "${p.id}" has no piaId; link its impact assessment (PIPL 55)`,
      );
    if (!noticeVersions.has(p.minNoticeVersion))
      report(
        at('minNoticeVersion'),
        PolicyProblemCode.notice_unknown,
        `notice version ${p.minNoticeVersion} does not exist`,
      );
  });
}

function checkNotices(notices: readonly (Notice | undefined)[], report: Report): void {
  const byVersion = new Map<number, Notice>();
  const seen = new Set<string>();
  notices.forEach((n, i) => {
    if (n === undefined) return;
    const key = `${n.version}|${n.language}`;
    if (seen.has(key))
      report(
        ['notices', i],
        PolicyProblemCode.duplicate_id,
        `notice version ${n.version} in ${n.language} is defined more than once`,
      );
    seen.add(key);
    const first = byVersion.get(n.version);
    if (first === undefined) byVersion.set(n.version, n);
    else if (first.material !== n.material || first.effectiveAt !== n.effectiveAt) {
      report(
        ['notices', i],
        PolicyProblemCode.notice_inconsistent,
        `notice version ${n.version} must have one effectiveAt and material flag across languages`,
      );
    }
  });
}

function checkProcessors(
  processors: readonly (Processor | undefined)[],
  purposes: ReadonlyMap<string, Purpose>,
  fields: ReadonlyMap<string, SubjectFieldSpec>,
  addressFields: ReadonlySet<string>,
  report: Report,
): void {
  processors.forEach((p, i) => {
    if (p === undefined) return;
    const at = (...rest: PropertyKey[]) => ['processors', i, ...rest];
    if (p.agreementId === undefined || p.agreementValidFrom === undefined || p.agreementValidUntil === undefined) {
      report(
        at('agreementId'),
        PolicyProblemCode.processor_without_agreement,
        `processor "${p.id}" needs an agreementId and a validity window (PIPL 21, GDPR 28)`,
      );
    } else if (Date.parse(p.agreementValidFrom) >= Date.parse(p.agreementValidUntil)) {
      report(
        at('agreementValidUntil'),
        PolicyProblemCode.agreement_window_invalid,
        `agreement of "${p.id}" ends before it starts`,
      );
    }
    if (p.piaId === undefined)
      report(at('piaId'), PolicyProblemCode.processor_without_pia, `processor "${p.id}" has no piaId`);
    const needed = new Set<string>(addressFields);
    p.purposes.forEach((id, j) => {
      const purpose = purposes.get(id);
      if (purpose === undefined)
        report(at('purposes', j), PolicyProblemCode.processor_purpose_unknown, `purpose "${id}" is not defined`);
      else for (const f of purpose.allowedFields) needed.add(f);
    });
    p.fields.forEach((f, j) => {
      if (!fields.has(f))
        report(at('fields', j), PolicyProblemCode.field_unknown, `field "${f}" is not in the subject schema`);
      else if (!needed.has(f))
        report(
          at('fields', j),
          PolicyProblemCode.processor_field_unneeded,
          `no purpose of "${p.id}" allows field "${f}" (minimum necessary)`,
        );
    });
  });
}

/** Validates a policy bundle and returns every problem with its path; never throws on bad input. */
export function checkPolicy(input: unknown): PolicyCheckResult {
  const problems: PolicyProblem[] = [];
  const report: Report = (path, code, message) => void problems.push({ path: formatPath(path), code, message });
  const shape = Shape.safeParse(input);
  if (!shape.success) {
    for (const issue of shape.error.issues) report(issue.path, PolicyProblemCode.schema_invalid, issue.message);
    return { ok: false, problems };
  }
  const raw = shape.data;
  const fieldList = parseEach(raw.subjectFields, SubjectFieldSpec, 'subjectFields', report);
  const purposeList = parseEach(raw.purposes, Purpose, 'purposes', report);
  const noticeList = parseEach(raw.notices, Notice, 'notices', report);
  const processorList = parseEach(raw.processors, Processor, 'processors', report);
  const ruleList = parseEach(raw.jurisdictions, JurisdictionRule, 'jurisdictions', report);
  const retention = RetentionPolicy.safeParse(raw.retention);
  if (!retention.success)
    for (const issue of retention.error.issues)
      report(['retention', ...issue.path], PolicyProblemCode.schema_invalid, issue.message);
  // A logged decision must stay provable: `log replay` and the review re-judge it from the consent events it rested
  // on, so those events may not be removed before the log segment that holds the decision.
  else if (retention.data.consentEventsDays < retention.data.logSegmentsDays)
    report(
      ['retention', 'consentEventsDays'],
      PolicyProblemCode.retention_inconsistent,
      `consent events (${retention.data.consentEventsDays} days) would be removed before the decisions that rest on them ` +
        `(logSegmentsDays ${retention.data.logSegmentsDays}); set consentEventsDays to at least logSegmentsDays`,
    );
  const fields = new Map(fieldList.flatMap((f) => (f ? [[f.name, f] as const] : [])));
  const purposes = new Map(purposeList.flatMap((p) => (p ? [[p.id, p] as const] : [])));
  const noticeVersions = new Set(noticeList.flatMap((n) => (n ? [n.version] : [])));

  checkDuplicates(
    fieldList.map((f) => f?.name),
    'subjectFields',
    'field',
    report,
  );
  checkDuplicates(
    purposeList.map((p) => p?.id),
    'purposes',
    'purpose',
    report,
  );
  checkDuplicates(
    processorList.map((p) => p?.id),
    'processors',
    'processor',
    report,
  );
  checkDuplicates(
    ruleList.map((r) => r?.code),
    'jurisdictions',
    'jurisdiction',
    report,
  );
  const addressFields = new Set<string>();
  for (const c of channels) {
    const f = raw.channelAddressField[c];
    if (typeof f !== 'string' || !fields.has(f))
      report(
        ['channelAddressField', c],
        PolicyProblemCode.address_field_unknown,
        `address field of ${c} must name a subject field`,
      );
    else addressFields.add(f);
  }
  checkPurposes(purposeList, fields, noticeVersions, report);
  checkNotices(noticeList, report);
  checkPurposeTexts(purposeList, noticeList, report);
  checkBrand((input as { brand?: unknown }).brand, noticeList, report);
  checkFieldLabels(
    fieldList,
    [...purposeList.flatMap((p) => p?.allowedFields ?? []), ...addressFields],
    noticeList,
    report,
  );
  checkProcessors(processorList, purposes, fields, addressFields, report);
  checkJurisdictions(
    { rules: ruleList, purposes: purposeList, processors: processorList, notices: noticeList },
    report,
  );

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, policy: PolicyBundle.parse(input), problems: [] };
}
