import { z } from 'zod';
import { projectionKey } from '../../domain/consent-state.js';
import { noticeInForce } from '../../domain/consent-record.js';
import { type ApiApp, type ApiDeps, claimsOf, nowOf, propagate } from '../deps.js';
import { PageLanguageSchema } from '../i18n/languages.js';
import { preferencesPage, toggleName } from '../pages/preferences.js';
import { htmlPage, pageErrors, PageQuery, TokenParams } from '../schemas.js';
import type { SubjectPages } from '../subject-page.js';
import { recordSubjectAnswer, requireNotErased, toggleState } from './subject-state.js';

/** The preference form: exactly one optional `on` per toggle the policy defines, and the language shown. */
function preferenceForm(deps: ApiDeps) {
  const on = z.literal('on').optional();
  const shape: Record<string, z.ZodOptional<z.ZodLiteral<'on'>> | z.ZodOptional<typeof PageLanguageSchema>> = {
    unsubscribe_all: on,
    no_personalisation: on,
    lang: PageLanguageSchema.optional(),
  };
  for (const p of deps.services.policy.bundle.purposes) for (const c of p.channels) shape[toggleName(p.id, c)] = on;
  return z.strictObject(shape);
}

/** The preference centre: GET renders the page, POST records the changes and redirects back (303). */
export function preferenceRoutes(app: ApiApp, deps: ApiDeps, pages: SubjectPages): void {
  const { consent } = deps.services;
  const purposes = deps.services.policy.bundle.purposes;
  const Form = preferenceForm(deps);

  app.get(
    '/preferences/:token',
    {
      schema: {
        summary: 'Preference centre page',
        tags: ['subject'],
        params: TokenParams,
        querystring: PageQuery.extend({ saved: z.literal('1').optional() }),
        response: { 200: htmlPage("preference centre in the subject's language"), ...pageErrors },
      },
    },
    async (req, reply) => {
      const { sub } = await claimsOf(deps, req.params.token, 'preferences');
      const lang = await pages.language(req, sub);
      await requireNotErased(deps, sub);
      const [projection, suppressions, state] = await Promise.all([
        consent.projection(sub),
        consent.suppressions(sub),
        consent.loadGuardState(sub),
      ]);
      const toggles = new Map(
        purposes.flatMap((p) =>
          p.channels.map((c) => [projectionKey(p.id, c), toggleState(projection[projectionKey(p.id, c)])] as const),
        ),
      );
      const notice = noticeInForce(deps.services.policy.bundle, lang, nowOf(deps));
      const body = preferencesPage(
        {
          action: `/preferences/${req.params.token}`,
          purposes,
          state: toggles,
          unsubscribedAll: suppressions.some((s) => s.kind === 'unsubscribe_all'),
          lang,
          noPersonalisation: state.personalisation === 'off',
          notice,
          noticeUrl: notice && `/notices/${notice.version}?lang=${encodeURIComponent(lang)}`,
          saved: req.query.saved === '1',
        },
        pages.chrome(req, lang, true),
      );
      return pages.send(reply, body);
    },
  );

  app.post(
    '/preferences/:token',
    {
      schema: {
        summary: 'Save the preference form',
        tags: ['subject'],
        params: TokenParams,
        body: Form,
        response: { 303: z.undefined(), ...pageErrors },
      },
    },
    async (req, reply) => {
      const { sub } = await claimsOf(deps, req.params.token, 'preferences');
      const form = req.body as Record<string, string | undefined>;
      // The choice is recorded against the notice in the language the page was shown in (the form says which).
      const lang = PageLanguageSchema.safeParse(form.lang).data ?? (await pages.language(req, sub));
      await requireNotErased(deps, sub);
      const [projection, suppressions, history] = await Promise.all([
        consent.projection(sub),
        consent.suppressions(sub),
        consent.events(sub),
      ]);
      const answer = {
        method: 'preference_center',
        collectionPoint: 'preference_center',
        history,
        language: lang,
      } as const;
      for (const p of purposes) {
        for (const c of p.channels) {
          const wanted = form[toggleName(p.id, c)] === 'on';
          const now = toggleState(projection[projectionKey(p.id, c)]);
          if (wanted && now !== 'live')
            await recordSubjectAnswer(deps, req, sub, { ...answer, type: 'granted', purpose: p.id, channel: c });
          if (!wanted && now !== 'none') {
            const e = await recordSubjectAnswer(deps, req, sub, {
              ...answer,
              type: 'withdrawn',
              purpose: p.id,
              channel: c,
            });
            await propagate(deps, sub, { kind: 'withdrawn', changeId: e.id, purpose: p.id, channel: c });
          }
        }
      }
      const wasAll = suppressions.some((s) => s.kind === 'unsubscribe_all');
      if (form.unsubscribe_all === 'on' && !wasAll) {
        await consent.suppress(sub, 'unsubscribe_all', 'preference_center');
        await propagate(deps, sub, { kind: 'suppressed' });
      }
      if (form.unsubscribe_all !== 'on' && wasAll) await consent.unsuppress(sub, 'unsubscribe_all');
      await consent.setPersonalisation(sub, form.no_personalisation === 'on' ? 'off' : 'on');
      return reply
        .code(303)
        .header('location', `/preferences/${req.params.token}?lang=${encodeURIComponent(lang)}&saved=1`)
        .send(undefined);
    },
  );
}
