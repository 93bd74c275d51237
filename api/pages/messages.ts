import { html, page, type Chrome } from './layout.js';

/** GET /u/:token: a confirmation button; link scanners fetch URLs, so GET never unsubscribes. */
export function unsubscribeConfirmPage(action: string, what: string, c: Chrome): string {
  const { t } = c.text;
  return page(
    t('unsubscribe.title'),
    html`<h1>${t('unsubscribe.title')}</h1><p>${t('unsubscribe.question', { what })}</p>
<form method="post" action="${action}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${t('unsubscribe.button')}</button></form>`,
    c,
  );
}

/** The answer to a one-click POST. */
export function unsubscribedPage(what: string, preferencesUrl: string, c: Chrome): string {
  const { t } = c.text;
  return page(
    t('unsubscribe.doneTitle'),
    html`<h1>${t('unsubscribe.doneHeading')}</h1><p role="status">${t('unsubscribe.done', { what })}</p><p><a href="${preferencesUrl}">${t('unsubscribe.manage')}</a></p>`,
    c,
  );
}

/** GET /confirm/:token: a button; confirming needs a POST so prefetchers cannot confirm for the person. */
export function confirmPage(action: string, what: string, c: Chrome): string {
  const { t } = c.text;
  return page(
    t('confirm.title'),
    html`<h1>${t('confirm.title')}</h1><p>${t('confirm.question', { what })}</p>
<form method="post" action="${action}"><input type="hidden" name="confirm" value="yes"><button type="submit">${t('confirm.button')}</button></form>`,
    c,
  );
}

/** The answer to a confirmation POST. */
export function confirmedPage(what: string, already: boolean, c: Chrome): string {
  const { t } = c.text;
  return page(
    t('confirm.doneTitle'),
    html`<h1>${t('confirm.doneHeading')}</h1><p role="status">${t(already ? 'confirm.already' : 'confirm.done', { what })}</p>`,
    c,
  );
}
