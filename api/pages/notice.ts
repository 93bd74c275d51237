import type { Notice } from '../../domain/policy.js';
import type { PageLanguage } from '../i18n/languages.js';
import { html, page, type Chrome } from './layout.js';

/** A published privacy notice: its verified text, exactly as hashed, with links to its other languages. */
export function noticePage(
  n: Notice,
  text: string,
  others: readonly { lang: PageLanguage; url: string }[],
  c: Chrome,
): string {
  const { t } = c.text;
  const links = others.map(
    (o) =>
      html`<li><a href="${o.url}" hreflang="${o.lang}">${t('notice.otherLanguage', { language: c.text.languageName(o.lang) })}</a></li>`,
  );
  return page(
    t('notice.title', { version: n.version }),
    html`<h1>${t('notice.title', { version: n.version })}</h1><p class="muted">${t('notice.effective', { date: c.text.date(n.effectiveAt) })}</p>
<div class="notice" lang="${n.language}">${text}</div>${others.length ? html`<ul>${links}</ul>` : html``}`,
    c,
  );
}
