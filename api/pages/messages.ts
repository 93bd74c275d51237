import { html, page } from './layout.js';

/** GET /u/:token: a confirmation button; link scanners fetch URLs, so GET never unsubscribes. */
export function unsubscribeConfirmPage(action: string, what: string): string {
  return page(
    'Unsubscribe',
    html`<h1>Unsubscribe</h1><p>Stop receiving ${what}?</p>
<form method="post" action="${action}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
  );
}

/** The answer to a one-click POST. */
export function unsubscribedPage(what: string, preferencesUrl: string): string {
  return page('Unsubscribed', html`<h1>You are unsubscribed</h1><p role="status">You will not receive ${what} any more.</p><p><a href="${preferencesUrl}">Manage all your preferences</a></p>`);
}

/** GET /confirm/:token: a button; confirming needs a POST so prefetchers cannot confirm for the person. */
export function confirmPage(action: string, what: string): string {
  return page(
    'Confirm your subscription',
    html`<h1>Confirm your subscription</h1><p>Please confirm that you want to receive ${what}.</p>
<form method="post" action="${action}"><input type="hidden" name="confirm" value="yes"><button type="submit">Yes, confirm</button></form>`,
  );
}

/** The answer to a confirmation POST. */
export function confirmedPage(what: string, already: boolean): string {
  return page('Subscription confirmed', html`<h1>Thank you</h1><p role="status">${already ? 'You had already confirmed' : 'You confirmed'} that you want to receive ${what}.</p>`);
}
