import i18next, { type i18n, type TOptions } from 'i18next';
import { postalAddressIn } from '../../domain/brand.js';
import type { Brand, Purpose, SubjectFieldSpec } from '../../domain/policy.js';
import { DEFAULT_TEXT_LANGUAGE, purposeText } from '../../domain/policy-check-texts.js';
import { pageLanguages, type PageLanguage } from './languages.js';
import { en } from './locales/en.js';
import { zhCN } from './locales/zh-cn.js';

/** A key of the page texts, like `preferences.save`. */
export type MessageKey = string;

/** Texts of one page in one language. */
export interface PageText {
  readonly lang: PageLanguage;
  readonly brand: Brand;
  t(key: MessageKey, vars?: Record<string, string | number>): string;
  /** Whether a text exists (in any language): pages word known cases specifically and others generally. */
  has(key: MessageKey): boolean;
  /** The brand's postal address as written in this language. */
  readonly postalAddress: string;
  /** A purpose's name and description from the policy, in this language. */
  purpose(p: Purpose): { readonly name: string; readonly description: string };
  /** A profile field's label from the policy, in this language; never the field's internal name. */
  field(name: string): string;
  /** A language's own name for itself (English, 中文), so readers find theirs whatever the page is in. */
  languageName(lang: PageLanguage): string;
  /** A date (YYYY-MM-DD) or time in this language's format, in UTC. */
  date(iso: string, withTime?: boolean): string;
}

/** Reports a text that this language lacks (it falls back to English); tests make any report a failure. */
export type MissingText = (lang: PageLanguage, key: string) => void;

/** The page texts for every language: i18next with our resources and the policy's purpose texts. */
export interface PageI18n {
  text(lang: PageLanguage): PageText;
}

const RESOURCES: Record<PageLanguage, object> = { en, 'zh-CN': zhCN };

/** Builds the page texts; purpose names and field labels come from the policy, so a missing one is reported, not invented. */
export function createPageI18n(
  brand: Brand,
  onMissing: MissingText = () => undefined,
  fields: ReadonlyMap<string, SubjectFieldSpec> = new Map(),
): PageI18n {
  const instance: i18n = i18next.createInstance();
  // Synchronous init: the resources are in memory, and a page must never render before its texts exist.
  void instance.init({
    initAsync: false,
    lng: DEFAULT_TEXT_LANGUAGE,
    fallbackLng: DEFAULT_TEXT_LANGUAGE,
    supportedLngs: [...pageLanguages],
    resources: Object.fromEntries(pageLanguages.map((l) => [l, { translation: RESOURCES[l] }])),
    // Pages escape every value themselves (html``), so i18next must not escape a second time.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return {
    text(lang) {
      const fixed = instance.getFixedT(lang);
      return {
        lang,
        brand,
        postalAddress: postalAddressIn(brand, lang),
        t(key, vars) {
          // i18next falls back to English silently; a text missing in this language is reported all the same.
          if (instance.getResource(lang, 'translation', key) === undefined) onMissing(lang, key);
          return fixed(key, vars as TOptions);
        },
        has: (key) => instance.exists(key),
        purpose(p) {
          if (lang !== DEFAULT_TEXT_LANGUAGE && p.texts[lang] === undefined) onMissing(lang, `purpose:${p.id}`);
          return purposeText(p, lang);
        },
        field(name) {
          const labels = fields.get(name)?.labels ?? {};
          const label = labels[lang];
          if (label !== undefined) return label;
          onMissing(lang, `field:${name}`);
          // The English label, else a generic phrase: an internal field name means nothing to the subject.
          return labels[DEFAULT_TEXT_LANGUAGE] ?? fixed('common.unnamedField');
        },
        languageName: (l) => instance.getFixedT(l)('common.languageName'),
        date(iso, withTime = false) {
          const d = new Date(iso);
          const opts: Intl.DateTimeFormatOptions = withTime
            ? { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }
            : { dateStyle: 'long', timeZone: 'UTC' };
          return new Intl.DateTimeFormat(lang, opts).format(d) + (withTime ? ' UTC' : '');
        },
      };
    },
  };
}

/** Every key path of the English texts, for coverage checks. */
export function messageKeys(node: object = en, prefix = ''): string[] {
  return Object.entries(node).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : messageKeys(v as object, `${prefix}${k}.`),
  );
}
