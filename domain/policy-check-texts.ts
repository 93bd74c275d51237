import { Brand } from './brand.js';
import type { Notice, Purpose } from './purpose.js';

/** The language purposes' own `name` and `description` are written in. */
export const DEFAULT_TEXT_LANGUAGE = 'en';

type Report = (path: readonly PropertyKey[], code: 'brand_missing' | 'schema_invalid' | 'purpose_text_missing', message: string) => void;

/** Parses the brand; pages and messages need one, so a policy without it does not load. */
export function checkBrand(brand: unknown, report: Report): void {
  if (brand === undefined) {
    report(['brand'], 'brand_missing', 'add brand: { name, colours: { primary, text, background }, postalAddress } (shown on every page and message)');
    return;
  }
  const r = Brand.safeParse(brand);
  if (!r.success) for (const issue of r.error.issues) report(['brand', ...issue.path], 'schema_invalid', issue.message);
}

/** Every purpose needs its name and description in each language a notice is published in: subjects never see ids. */
export function checkPurposeTexts(purposes: readonly (Purpose | undefined)[], notices: readonly (Notice | undefined)[], report: Report): void {
  const languages = [...new Set(notices.flatMap((n) => (n && n.language !== DEFAULT_TEXT_LANGUAGE ? [n.language] : [])))].sort();
  purposes.forEach((p, i) => {
    if (p === undefined) return;
    for (const lang of languages) {
      if (p.texts[lang] === undefined) report(['purposes', i, 'texts', lang], 'purpose_text_missing', `purpose "${p.id}" has no name and description in ${lang}, a language its notices are published in; add texts: { '${lang}': { name, description } }`);
    }
  });
}

/** A purpose's name and description in `language`, else in the default language. */
export function purposeText(p: Purpose, language: string): { readonly name: string; readonly description: string } {
  return p.texts[language] ?? { name: p.name ?? p.description, description: p.description };
}
