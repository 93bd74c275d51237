import { Brand } from './brand.js';
import type { Notice, Purpose } from './purpose.js';
import type { SubjectFieldSpec } from './subject-field.js';

/** The language purposes' own `name` and `description` are written in. */
export const DEFAULT_TEXT_LANGUAGE = 'en';

type Report = (
  path: readonly PropertyKey[],
  code: 'brand_missing' | 'schema_invalid' | 'purpose_text_missing' | 'field_label_missing' | 'brand_address_missing',
  message: string,
) => void;

// The languages subject-facing text must exist in besides the default: those notices are published in.
const otherLanguages = (notices: readonly (Notice | undefined)[]): string[] =>
  [...new Set(notices.flatMap((n) => (n && n.language !== DEFAULT_TEXT_LANGUAGE ? [n.language] : [])))].sort();

/** Parses the brand; pages and messages need one (with its address in every notice language), so a policy without it does not load. */
export function checkBrand(brand: unknown, notices: readonly (Notice | undefined)[], report: Report): void {
  if (brand === undefined) {
    report(
      ['brand'],
      'brand_missing',
      'add brand: { name, colours: { primary, text, background }, postalAddress } (shown on every page and message)',
    );
    return;
  }
  const r = Brand.safeParse(brand);
  if (!r.success) for (const issue of r.error.issues) report(['brand', ...issue.path], 'schema_invalid', issue.message);
  else
    for (const lang of otherLanguages(notices)) {
      if (r.data.postalAddresses[lang] === undefined)
        report(
          ['brand', 'postalAddresses', lang],
          'brand_address_missing',
          `the brand has no postal address in ${lang}, a language its notices are published in; add postalAddresses: { '${lang}': '…' } (page footers and ${lang} messages show it)`,
        );
    }
}

/** Every field a purpose can release (or an address field) needs a label in en and each notice language: pages never show field names. */
export function checkFieldLabels(
  fields: readonly (SubjectFieldSpec | undefined)[],
  released: readonly string[],
  notices: readonly (Notice | undefined)[],
  report: Report,
): void {
  const shown = new Set(released);
  const languages = [DEFAULT_TEXT_LANGUAGE, ...otherLanguages(notices)];
  fields.forEach((f, i) => {
    if (f === undefined || !shown.has(f.name)) return;
    for (const lang of languages) {
      if (f.labels[lang] === undefined)
        report(
          ['subjectFields', i, 'labels', lang],
          'field_label_missing',
          `field "${f.name}" can be released to a purpose but has no label in ${lang}; add labels: { '${lang}': '…' } (subject pages name fields by their label)`,
        );
    }
  });
}

/** Every purpose needs its name and description in each language a notice is published in: subjects never see ids. */
export function checkPurposeTexts(
  purposes: readonly (Purpose | undefined)[],
  notices: readonly (Notice | undefined)[],
  report: Report,
): void {
  const languages = otherLanguages(notices);
  purposes.forEach((p, i) => {
    if (p === undefined) return;
    for (const lang of languages) {
      if (p.texts[lang] === undefined)
        report(
          ['purposes', i, 'texts', lang],
          'purpose_text_missing',
          `purpose "${p.id}" has no name and description in ${lang}, a language its notices are published in; add texts: { '${lang}': { name, description } }`,
        );
    }
  });
}

/** A purpose's name and description in `language`, else in the default language. */
export function purposeText(p: Purpose, language: string): { readonly name: string; readonly description: string } {
  return p.texts[language] ?? { name: p.name ?? p.description, description: p.description };
}
