import type { Notice, Purpose } from '../../domain/policy.js';
import { html, page, type Html } from './layout.js';

/** What the preference page shows for one subject. */
export interface PreferencesView {
  readonly action: string;
  readonly purposes: readonly Purpose[];
  /** `purpose|channel` → whether consent is live, pending or absent. */
  readonly state: ReadonlyMap<string, 'live' | 'pending' | 'none'>;
  readonly unsubscribedAll: boolean;
  readonly noPersonalisation: boolean;
  readonly notice: Notice | undefined;
  readonly saved: boolean;
  readonly senderName: string;
}

const CHANNEL_LABEL: Readonly<Record<string, string>> = { email: 'By email', sms: 'By text message (SMS)' };

/** The field name of one toggle in the form. */
export const toggleName = (purpose: string, channel: string): string => `c:${purpose}|${channel}`;

function purposeFieldset(p: Purpose, v: PreferencesView): Html {
  const toggles = p.channels.map((c) => {
    const s = v.state.get(`${p.id}|${c}`) ?? 'none';
    const checked = s === 'live' ? html` checked` : html``;
    const note = s === 'pending' ? html` <span class="muted">(waiting for you to confirm by email)</span>` : html``;
    return html`<label><input type="checkbox" name="${toggleName(p.id, c)}" value="on"${checked}> ${CHANNEL_LABEL[c] ?? c}${note}</label>`;
  });
  const flags = [p.separateConsent ? 'asked separately' : '', p.sensitive ? 'uses sensitive information' : ''].filter(Boolean).join(', ');
  return html`<fieldset><legend>${p.description}</legend>${toggles}<p class="muted">${p.id}${flags ? ` · ${flags}` : ''}</p></fieldset>`;
}

/** The preference centre: every purpose in plain words, per-channel toggles, unsubscribe-all and no-personalisation. */
export function preferencesPage(v: PreferencesView): string {
  const saved = v.saved ? html`<p class="status" role="status">Your choices are saved. They apply before our next message.</p>` : html``;
  const notice = v.notice ? html`<p>These choices are made under privacy notice version ${v.notice.version} (in force since ${v.notice.effectiveAt.slice(0, 10)}).</p>` : html``;
  const all = v.unsubscribedAll ? html` checked` : html``;
  const noPers = v.noPersonalisation ? html` checked` : html``;
  return page(
    `Your marketing preferences – ${v.senderName}`,
    html`<h1>Your marketing preferences</h1>${saved}
<p>Choose what ${v.senderName} may send you. Switching something off takes one click and a save, just like switching it on.</p>${notice}
<form method="post" action="${v.action}">
${v.purposes.map((p) => purposeFieldset(p, v))}
<fieldset><legend>Everything at once</legend>
<label><input type="checkbox" name="unsubscribe_all" value="on"${all}> Unsubscribe from all marketing</label>
<label><input type="checkbox" name="no_personalisation" value="on"${noPers}> No personalised marketing (do not choose offers for me from my purchases or profile)</label>
</fieldset>
<button type="submit">Save preferences</button>
</form>`,
  );
}
