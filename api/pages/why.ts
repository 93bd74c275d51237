import { html, page } from './layout.js';

/** What "why did I get this?" explains about one message. */
export interface WhyView {
  readonly campaign: { readonly name: string; readonly description: string } | undefined;
  readonly campaignId: string | null;
  readonly purpose: string;
  readonly purposeDescription: string;
  readonly sentAt: string;
  readonly consent: { readonly at: string; readonly collectionPoint: string; readonly noticeVersion: number; readonly method: string; readonly basis: string } | undefined;
  readonly fields: readonly string[];
  readonly preferencesUrl: string;
  readonly senderName: string;
}

const BASIS: Readonly<Record<string, string>> = {
  consent: 'your consent',
  soft_opt_in: 'you are our customer and did not object (you can opt out at any time)',
};

/** The explanation page; every value is escaped. */
export function whyPage(v: WhyView): string {
  const consent = v.consent
    ? html`<dt>Why we may send it</dt><dd>${BASIS[v.consent.basis] ?? v.consent.basis}, given on ${v.consent.at.slice(0, 10)} at “${v.consent.collectionPoint}” (${v.consent.method.replace(/_/g, ' ')}) under privacy notice version ${v.consent.noticeVersion}</dd>`
    : html`<dt>Why we may send it</dt><dd>We could not find the consent record for this message.</dd>`;
  const fields = v.fields.length ? v.fields.join(', ') : 'none';
  return page(
    'Why did I get this message?',
    html`<h1>Why did I get this message?</h1>
<dl><dt>Message</dt><dd>${v.campaign ? `${v.campaign.name}: ${v.campaign.description}` : (v.campaignId ?? 'a message from us')}</dd>
<dt>What it is for</dt><dd>${v.purposeDescription}</dd>
<dt>Decided on</dt><dd>${v.sentAt.slice(0, 16).replace('T', ' ')} UTC</dd>
${consent}
<dt>Your data we used</dt><dd>${fields}</dd></dl>
<p><a href="${v.preferencesUrl}">Change what ${v.senderName} sends you</a></p>`,
  );
}
