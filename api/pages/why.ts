import { html, page, type Chrome } from './layout.js';

/** What "why did I get this?" explains about one message. */
export interface WhyView {
  readonly campaign: { readonly name: string; readonly description: string } | undefined;
  /** The purpose's name and description in the page's language; never its internal id. */
  readonly purpose: { readonly name: string; readonly description: string } | undefined;
  readonly sentAt: string;
  readonly consent:
    | {
        readonly at: string;
        readonly collectionPoint: string;
        readonly noticeVersion: number;
        readonly method: string;
        readonly basis: string;
      }
    | undefined;
  /** The fields used, by their labels in the page's language (never internal field names). */
  readonly fields: readonly string[];
  readonly preferencesUrl: string;
}

/** The explanation page; every value is escaped. */
export function whyPage(v: WhyView, c: Chrome): string {
  const { t } = c.text;
  const consent = v.consent
    ? html`<dt>${t('why.reason')}</dt><dd>${t('why.given', { basis: t(`basis.${v.consent.basis}`), date: c.text.date(v.consent.at), point: v.consent.collectionPoint, method: t(`method.${v.consent.method}`), version: v.consent.noticeVersion })}</dd>`
    : html`<dt>${t('why.reason')}</dt><dd>${t('why.noRecord')}</dd>`;
  const fields = v.fields.length ? v.fields.join(c.text.lang === 'zh-CN' ? '、' : ', ') : t('why.none');
  return page(
    t('why.title'),
    html`<h1>${t('why.title')}</h1>
<dl><dt>${t('why.message')}</dt><dd>${v.campaign ? `${v.campaign.name}: ${v.campaign.description}` : t('why.aMessage')}</dd>
<dt>${t('why.purpose')}</dt><dd>${v.purpose ? `${v.purpose.name}: ${v.purpose.description}` : t('why.unknownPurpose')}</dd>
<dt>${t('why.decidedOn')}</dt><dd>${c.text.date(v.sentAt, true)}</dd>
${consent}
<dt>${t('why.fields')}</dt><dd>${fields}</dd></dl>
<p><a href="${v.preferencesUrl}">${t('why.change', { brand: c.text.brand.name })}</a></p>`,
    c,
  );
}
