import Negotiator from 'negotiator';
import { z } from 'zod';

/** The languages subject pages are written in; the first is the default. */
export const pageLanguages = ['en', 'zh-CN'] as const;
export type PageLanguage = (typeof pageLanguages)[number];

/** A `?lang=` value: one of the page languages. */
export const PageLanguageSchema = z.enum(pageLanguages);

const isPageLanguage = (l: string | undefined): l is PageLanguage =>
  (pageLanguages as readonly string[]).includes(l ?? '');

/** Jurisdictions whose subjects read Chinese pages unless they answered in another language (PIPL). */
const JURISDICTION_LANGUAGE: ReadonlyMap<string, PageLanguage> = new Map([['CN', 'zh-CN']]);

/** What is known when a page's language is chosen; every part is optional. */
export interface LanguageHints {
  /** The language switch (`?lang=`), already validated. */
  readonly chosen?: PageLanguage;
  /** The language and jurisdiction of the subject's latest recorded answer. */
  readonly subject?: { readonly language: string; readonly jurisdiction: string };
  readonly acceptLanguage?: string;
}

/**
 * The language of a subject page: the switch, else the language the subject last answered in (the notice they
 * read), else their jurisdiction's (zh-CN for CN), else the browser's Accept-Language, else English.
 */
export function pageLanguage(h: LanguageHints): PageLanguage {
  if (h.chosen) return h.chosen;
  if (h.subject) {
    if (isPageLanguage(h.subject.language)) return h.subject.language;
    const byJurisdiction = JURISDICTION_LANGUAGE.get(h.subject.jurisdiction);
    if (byJurisdiction) return byJurisdiction;
  }
  if (h.acceptLanguage) {
    const [best] = new Negotiator({ headers: { 'accept-language': h.acceptLanguage } }).languages([...pageLanguages]);
    if (isPageLanguage(best)) return best;
  }
  return pageLanguages[0];
}
