import { z } from 'zod';
import { projectionKey } from '../../domain/consent-state.js';
import { ApiError } from '../errors.js';
import { type ApiApp, type ApiDeps, claimsOf, nowOf, propagate } from '../deps.js';
import { unsubscribedPage, unsubscribeConfirmPage } from '../pages/messages.js';
import { htmlPage, pageErrors, PageQuery, TokenParams } from '../schemas.js';
import type { SubjectPages } from '../subject-page.js';
import { purposePhrase } from './purpose-phrase.js';
import { recordSubjectAnswer, toggleState } from './subject-state.js';

/** RFC 8058 body: exactly `List-Unsubscribe=One-Click`. */
const OneClick = z.strictObject({ 'List-Unsubscribe': z.literal('One-Click') });

/** RFC 8058 one-click unsubscribe: POST withdraws (no cookies, login or redirect), GET only shows a button. */
export function unsubscribeRoutes(app: ApiApp, deps: ApiDeps, pages: SubjectPages): void {
  const prefsUrl = async (sub: string, lang: string) =>
    `${deps.config.publicUrl}/preferences/${await deps.services.tokens.sign({ scope: 'preferences', sub: sub as never })}?lang=${encodeURIComponent(lang)}`;

  app.get(
    '/u/:token',
    {
      schema: {
        summary: 'Unsubscribe confirmation page (never unsubscribes)',
        tags: ['subject'],
        params: TokenParams,
        querystring: PageQuery,
        response: { 200: htmlPage('confirmation page'), ...pageErrors },
      },
    },
    async (req, reply) => {
      const c = await claimsOf(deps, req.params.token, 'unsubscribe');
      const lang = await pages.language(req, c.sub);
      const chrome = pages.chrome(req, lang, true);
      const action = `/u/${req.params.token}?lang=${encodeURIComponent(lang)}`;
      return pages.send(
        reply,
        unsubscribeConfirmPage(action, purposePhrase(deps, chrome.text, c.purpose, 'unsubscribe.fallback'), chrome),
      );
    },
  );

  app.post(
    '/u/:token',
    {
      schema: {
        summary: 'One-click unsubscribe (RFC 8058)',
        tags: ['subject'],
        params: TokenParams,
        querystring: PageQuery,
        body: OneClick,
        response: { 200: htmlPage('unsubscribed'), ...pageErrors },
      },
    },
    async (req, reply) => {
      const c = await claimsOf(deps, req.params.token, 'unsubscribe');
      if (!c.purpose || !c.channel)
        throw new ApiError(400, 'token_incomplete', 'this unsubscribe link names no purpose and channel');
      const { consent, subjects } = deps.services;
      const lang = await pages.language(req, c.sub);
      // An erased subject is already suppressed everywhere: answer 200, record nothing.
      if (!(await subjects.isErased(c.sub))) {
        const [projection, history] = await Promise.all([consent.projection(c.sub), consent.events(c.sub)]);
        // Mailbox providers may POST twice; a second withdrawal of a withdrawn purpose adds nothing.
        if (
          toggleState(projection[projectionKey(c.purpose, c.channel)]) !== 'none' ||
          !projection[projectionKey(c.purpose, c.channel)]
        ) {
          const e = await recordSubjectAnswer(deps, req, c.sub, {
            type: 'withdrawn',
            purpose: c.purpose,
            channel: c.channel,
            method: 'one_click',
            collectionPoint: 'list_unsubscribe',
            history,
          });
          await propagate(deps, c.sub, { kind: 'withdrawn', changeId: e.id, purpose: c.purpose, channel: c.channel });
          // Feeds the campaign monitor's unsubscribe rate. The withdrawal is already recorded, so a counter that fails
          // must not turn it into an error the subject sees.
          if (c.campaign)
            await deps.services.unsubscribes
              .count(c.campaign, nowOf(deps))
              .catch((err: Error) =>
                deps.logger?.warn({ err: err.message }, 'unsubscribe not counted for the monitor'),
              );
        }
      }
      const chrome = pages.chrome(req, lang, false);
      return pages.send(
        reply,
        unsubscribedPage(
          purposePhrase(deps, chrome.text, c.purpose, 'unsubscribe.fallback'),
          await prefsUrl(c.sub, lang),
          chrome,
        ),
      );
    },
  );
}
