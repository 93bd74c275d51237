import type { Notice, Purpose } from '../../domain/policy.js';
import type { PageLanguage } from '../i18n/languages.js';
import { html, page, type Chrome, type Html } from './layout.js';

/** What the preference page shows for one subject. */
export interface PreferencesView {
  readonly action: string;
  readonly purposes: readonly Purpose[];
  /** `purpose|channel` → whether consent is live, pending or absent. */
  readonly state: ReadonlyMap<string, 'live' | 'pending' | 'none'>;
  readonly unsubscribedAll: boolean;
  readonly noPersonalisation: boolean;
  /** The notice in force in the page's language: the one a saved choice is recorded against. */
  readonly notice: Notice | undefined;
  readonly noticeUrl: string | undefined;
  readonly saved: boolean;
  /** The language the page is shown in, posted back so the choice names the notice language the subject read. */
  readonly lang: PageLanguage;
}

/** The field name of one toggle in the form. */
export const toggleName = (purpose: string, channel: string): string => `c:${purpose}|${channel}`;

function purposeFieldset(p: Purpose, v: PreferencesView, c: Chrome): Html {
  const { t } = c.text;
  const text = c.text.purpose(p);
  const toggles = p.channels.map((ch) => {
    const s = v.state.get(`${p.id}|${ch}`) ?? 'none';
    const checked = s === 'live' ? html` checked` : html``;
    const note = s === 'pending' ? html` <span class="muted">${t('preferences.pending')}</span>` : html``;
    return html`<label><input type="checkbox" name="${toggleName(p.id, ch)}" value="on"${checked}> ${t(`channel.${ch}`)}${note}</label>`;
  });
  const flags = [p.separateConsent ? t('preferences.separate') : '', p.sensitive ? t('preferences.sensitive') : '']
    .filter(Boolean)
    .join(' · ');
  // What the purpose may use, by label: the released fields a subject consents to (minimum necessary, PIPL 17).
  const uses = p.allowedFields.length
    ? html`<p class="muted">${t('preferences.uses', { fields: p.allowedFields.map((f) => c.text.field(f)).join(c.text.lang === 'zh-CN' ? '、' : ', ') })}</p>`
    : html``;
  return html`<fieldset><legend>${text.name}</legend><p>${text.description}</p>${uses}${toggles}${flags ? html`<p class="muted">${flags}</p>` : html``}</fieldset>`;
}

/** The preference centre: every purpose by name in the subject's language, per-channel toggles, the notice link. */
export function preferencesPage(v: PreferencesView, c: Chrome): string {
  const { t } = c.text;
  const brand = c.text.brand.name;
  const saved = v.saved ? html`<p class="status" role="status">${t('preferences.saved')}</p>` : html``;
  const notice = v.notice
    ? html`<p>${t('preferences.notice', { version: v.notice.version, date: c.text.date(v.notice.effectiveAt) })}${v.noticeUrl ? html` <a href="${v.noticeUrl}">${t('preferences.readNotice', { version: v.notice.version })}</a>` : html``}</p>`
    : html``;
  const all = v.unsubscribedAll ? html` checked` : html``;
  const noPers = v.noPersonalisation ? html` checked` : html``;
  return page(
    t('preferences.title', { brand }),
    html`<h1>${t('preferences.heading')}</h1>${saved}
<p>${t('preferences.intro', { brand })}</p>${notice}
<form method="post" action="${v.action}"><input type="hidden" name="lang" value="${v.lang}">
${v.purposes.map((p) => purposeFieldset(p, v, c))}
<fieldset><legend>${t('preferences.everything')}</legend>
<label><input type="checkbox" name="unsubscribe_all" value="on"${all}> ${t('preferences.unsubscribeAll')}</label>
<label><input type="checkbox" name="no_personalisation" value="on"${noPers}> ${t('preferences.noPersonalisation')}</label>
</fieldset>
<button type="submit">${t('preferences.save')}</button>
</form>`,
    c,
  );
}
