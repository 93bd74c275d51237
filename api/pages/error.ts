import { html, page, type Chrome } from './layout.js';

/** A subject-page refusal as a page a person can act on, in their language; the code stays visible for support. */
export function errorPage(code: string, c: Chrome): string {
  const { t } = c.text;
  // Codes with their own wording have texts; any other 4xx or 5xx gets the general one.
  const key = c.text.has(`error.${code}.heading`) ? code : 'other';
  return page(
    t(`error.${key}.heading`),
    html`<h1>${t(`error.${key}.heading`)}</h1>
      <p>${t(`error.${key}.body`)}</p>
      <p>${t('error.back', { address: c.text.postalAddress })}</p>
      <p class="muted">${t('error.code', { code: '' })}<code>${code}</code></p>`,
    c,
  );
}
