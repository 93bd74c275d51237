import { ulid } from 'ulid';
import { z } from 'zod';
import { projectionKey } from '../../domain/consent-state.js';
import { ConsentEvent } from '../../domain/consent.js';
import { ApiError } from '../errors.js';
import { evidenceOf } from '../evidence.js';
import { type ApiApp, type ApiDeps, claimsOf, nowOf } from '../deps.js';
import { confirmedPage, confirmPage } from '../pages/messages.js';
import { htmlPage, pageErrors, PageQuery, TokenParams } from '../schemas.js';
import type { SubjectPages } from '../subject-page.js';
import { purposePhrase } from './purpose-phrase.js';

const ConfirmForm = z.strictObject({ confirm: z.literal('yes').optional() });

/** Double opt-in: GET shows a button, POST records the `reconfirmed` event that makes a pending grant sendable. */
export function confirmRoutes(app: ApiApp, deps: ApiDeps, pages: SubjectPages): void {
  app.get(
    '/confirm/:token',
    {
      schema: {
        summary: 'Double opt-in confirmation page (never confirms)',
        tags: ['subject'],
        params: TokenParams,
        querystring: PageQuery,
        response: { 200: htmlPage('confirmation page'), ...pageErrors },
      },
    },
    async (req, reply) => {
      const c = await claimsOf(deps, req.params.token, 'confirm');
      const lang = await pages.language(req, c.sub);
      const chrome = pages.chrome(req, lang, true);
      return pages.send(
        reply,
        confirmPage(
          `/confirm/${req.params.token}?lang=${encodeURIComponent(lang)}`,
          purposePhrase(deps, chrome.text, c.purpose, 'confirm.fallback'),
          chrome,
        ),
      );
    },
  );

  app.post(
    '/confirm/:token',
    {
      schema: {
        summary: 'Confirm a pending double opt-in grant',
        tags: ['subject'],
        params: TokenParams,
        querystring: PageQuery,
        body: ConfirmForm.optional(),
        response: { 200: htmlPage('confirmed'), ...pageErrors },
      },
    },
    async (req, reply) => {
      const c = await claimsOf(deps, req.params.token, 'confirm');
      const lang = await pages.language(req, c.sub);
      if (!c.purpose || !c.channel)
        throw new ApiError(400, 'token_incomplete', 'this confirmation link names no purpose and channel');
      const latest = (await deps.services.consent.projection(c.sub))[projectionKey(c.purpose, c.channel)];
      const chrome = pages.chrome(req, lang, false);
      const done = (already: boolean) =>
        pages.send(
          reply,
          confirmedPage(purposePhrase(deps, chrome.text, c.purpose, 'confirm.fallback'), already, chrome),
        );
      if (latest && latest.type === 'reconfirmed') return done(true);
      // Only a pending grant can be confirmed: a later withdrawal must not be overturned by an old link.
      if (!latest || latest.type !== 'granted' || !latest.pending)
        throw new ApiError(
          409,
          'nothing_to_confirm',
          'there is no pending subscription to confirm for this link; it may have been withdrawn',
        );
      const now = nowOf(deps);
      const event = ConsentEvent.parse({
        ...latest,
        id: ulid(now.getTime()),
        type: 'reconfirmed',
        pending: undefined,
        method: 'double_opt_in',
        collectionPoint: 'double_opt_in_link',
        occurredAt: now.toISOString(),
        source: 'subject',
        evidence: evidenceOf(req, deps.config.secrets.pseudonymKey),
      });
      await deps.services.consent.append(event);
      return done(false);
    },
  );
}
