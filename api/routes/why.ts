import { ApiError } from '../errors.js';
import { type ApiApp, type ApiDeps, claimsOf } from '../deps.js';
import { whyPage } from '../pages/why.js';
import { errors, htmlPage, TokenParams } from '../schemas.js';

/** "Why did I get this?": the campaign, purpose, consent relied on and fields used, from the decision log entry. */
export function whyRoutes(app: ApiApp, deps: ApiDeps): void {
  app.get('/why/:token', { schema: { summary: 'Why this message was sent', tags: ['subject'], params: TokenParams, response: { 200: htmlPage('explanation'), ...errors } } }, async (req, reply) => {
    const c = await claimsOf(deps, req.params.token, 'why');
    if (!c.decision) throw new ApiError(400, 'token_incomplete', 'this link names no message decision');
    let entry;
    for await (const e of deps.services.log.query({ subjectRef: c.sub, kind: 'decision' })) {
      if (e.id === c.decision) {
        entry = e;
        break;
      }
    }
    if (!entry) throw new ApiError(404, 'decision_not_found', 'we have no record of this message decision; it may have been archived');
    const event = entry.consentEventId ? (await deps.services.consent.events(c.sub)).find((e) => e.id === entry.consentEventId) : undefined;
    const purpose = deps.services.policy.purposes.get(entry.purpose ?? '')?.purpose;
    const body = whyPage({
      campaign: entry.campaignId ? deps.campaignInfo(entry.campaignId) : undefined,
      campaignId: entry.campaignId,
      purpose: entry.purpose ?? '',
      purposeDescription: purpose?.description ?? entry.purpose ?? 'unknown',
      sentAt: entry.at,
      consent: event ? { at: event.occurredAt, collectionPoint: event.collectionPoint, noticeVersion: event.noticeVersion, method: event.method, basis: event.legalBasis } : undefined,
      fields: entry.fieldsReleased,
      preferencesUrl: `${deps.config.publicUrl}/preferences/${await deps.services.tokens.sign({ scope: 'preferences', sub: c.sub })}`,
      senderName: deps.config.sender.name,
    });
    return reply.type('text/html; charset=utf-8').send(body);
  });
}
