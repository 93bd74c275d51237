import type { JurisdictionRule } from './jurisdiction.js';
import type { Notice, Processor, Purpose } from './purpose.js';

/** Problem codes of the jurisdiction and cross-border checks. */
export const JurisdictionProblemCode = {
  jurisdiction_unknown: 'jurisdiction_unknown',
  legal_basis_not_permitted: 'legal_basis_not_permitted',
  cross_border_transfer_not_permitted: 'cross_border_transfer_not_permitted',
  cross_border_consent_unavailable: 'cross_border_consent_unavailable',
  transfer_recipient_unknown: 'transfer_recipient_unknown',
  transfer_purpose_not_separate: 'transfer_purpose_not_separate',
  overseas_contact_missing: 'overseas_contact_missing',
} as const;
export type JurisdictionProblemCode = (typeof JurisdictionProblemCode)[keyof typeof JurisdictionProblemCode];

type Report = (path: readonly PropertyKey[], code: JurisdictionProblemCode, message: string) => void;

/** The checked pieces, each possibly missing where its own schema failed (reported elsewhere). */
export interface JurisdictionCheckInput {
  readonly rules: readonly (JurisdictionRule | undefined)[];
  readonly purposes: readonly (Purpose | undefined)[];
  readonly processors: readonly (Processor | undefined)[];
  readonly notices: readonly (Notice | undefined)[];
}

const ruleCodeOf = (rules: readonly JurisdictionRule[], code: string): string | undefined =>
  rules.find((r) => r.code === code || r.includes.includes(code) || r.code === code.slice(0, 2))?.code;

/** Why a purpose can never be sent through a processor to a subject of rule `r`, or undefined when it can. */
export function transferBlocker(
  r: JurisdictionRule,
  rules: readonly JurisdictionRule[],
  proc: Processor,
  purposes: readonly Purpose[],
  channel: string,
): JurisdictionProblemCode | undefined {
  if (ruleCodeOf(rules, proc.region) === r.code) return undefined;
  if (r.transferAbroad.mechanismRequired && !(proc.transferMechanisms ?? []).some((m) => m.from === r.code))
    return 'cross_border_transfer_not_permitted';
  if (
    r.transferAbroad.separateConsent &&
    !purposes.some((p) => p.transferTo === proc.id && (p.channels as string[]).includes(channel))
  )
    return 'cross_border_consent_unavailable';
  return undefined;
}

/** Checks rule codes, transfer purposes, overseas recipients, and purposes that can never pass where they are offered. */
export function checkJurisdictions(input: JurisdictionCheckInput, report: Report): void {
  const rules = input.rules.flatMap((r) => (r ? [r] : []));
  const codes = new Set(rules.map((r) => r.code));
  const purposes = input.purposes.flatMap((p) => (p ? [p] : []));
  const processors = new Map(input.processors.flatMap((p) => (p ? [[p.id, p] as const] : [])));
  const unknownCode = (path: readonly PropertyKey[], code: string) =>
    report(path, 'jurisdiction_unknown', `"${code}" is not a jurisdiction rule code; rules: ${[...codes].join(', ')}`);

  input.processors.forEach((p, i) =>
    p?.transferMechanisms?.forEach((m, j) =>
      codes.has(m.from) ? undefined : unknownCode(['processors', i, 'transferMechanisms', j, 'from'], m.from),
    ),
  );
  input.notices.forEach((n, i) =>
    n?.overseasRecipients?.forEach((id, j) => {
      const proc = processors.get(id);
      if (proc === undefined)
        report(
          ['notices', i, 'overseasRecipients', j],
          'transfer_recipient_unknown',
          `processor "${id}" is not defined`,
        );
      else if (proc.overseasContact === undefined)
        report(
          ['processors', [...processors.keys()].indexOf(id), 'overseasContact'],
          'overseas_contact_missing',
          `processor "${id}" is named as an overseas recipient and needs overseasContact (contact and how to exercise rights, PIPL 39)`,
        );
    }),
  );

  input.purposes.forEach((p, i) => {
    if (p === undefined) return;
    const at = (...rest: PropertyKey[]) => ['purposes', i, ...rest];
    p.jurisdictions?.forEach((c, j) => (codes.has(c) ? undefined : unknownCode(at('jurisdictions', j), c)));
    if (p.transferTo !== undefined) {
      if (!processors.has(p.transferTo))
        report(at('transferTo'), 'transfer_recipient_unknown', `processor "${p.transferTo}" is not defined`);
      if (!p.separateConsent)
        report(
          at('separateConsent'),
          'transfer_purpose_not_separate',
          `transfer purpose "${p.id}" must set separateConsent: true (PIPL 39)`,
        );
      return;
    }
    for (const r of rules) {
      if (p.jurisdictions !== undefined && !p.jurisdictions.includes(r.code)) continue;
      const where = `purpose "${p.id}" can never be sent in ${r.code}`;
      const limit = `; list the jurisdictions it is offered in (jurisdictions: [...]) without ${r.code}`;
      if (!r.marketingBases.includes(p.legalBasis)) {
        report(
          at('legalBasis'),
          'legal_basis_not_permitted',
          `${where}: ${r.code} allows marketing only on ${r.marketingBases.join(', ')}, not ${p.legalBasis}${limit}`,
        );
        continue;
      }
      const carriers = [...processors.values()].filter((x) => x.purposes.includes(p.id));
      const blockers = carriers.flatMap((x) => p.channels.map((c) => transferBlocker(r, rules, x, purposes, c)));
      if (carriers.length > 0 && blockers.every((b) => b !== undefined)) {
        report(
          at('jurisdictions'),
          blockers[0]!,
          `${where}: every processor for it is abroad without ${blockers[0] === 'cross_border_transfer_not_permitted' ? 'a transfer mechanism' : 'a cross-border consent purpose (transferTo)'} for ${r.code}${limit}`,
        );
      }
    }
  });
}
