import { ulid } from 'ulid';
import { z } from 'zod';
import { ConsentEvent } from '../../domain/consent.js';
import { buildConsentEvent } from '../../domain/consent-record.js';
import { PropagationRecord } from '../../domain/propagation.js';
import { Suppression } from '../../domain/suppression.js';
import { ApiError } from '../errors.js';
import { evidenceOf } from '../evidence.js';
import { type ApiApp, type ApiDeps, nowOf, propagate, refOfParam } from '../deps.js';
import { bearer, errors, SubjectParams } from '../schemas.js';
import { consentCaptureSchema } from '../consent-schema.js';
import { OperatorAction } from '../../domain/operator-action.js';
import { reasonOf, recordApiOperator } from '../operator-audit.js';

const Captured = z.object({
  event: ConsentEvent,
  streamId: z.string(),
  confirmUrl: z.string().optional(),
  propagationId: z.string().optional(),
});
const ConsentView = z.object({
  subjectRef: z.string(),
  erased: z.boolean(),
  personalisation: z.enum(['on', 'off']),
  current: z.array(ConsentEvent),
  suppressions: z.array(Suppression),
  history: z.array(ConsentEvent),
});

const CONFIRM_TTL_DAYS = 7;

// A backdated answer may not land behind a newer one: the projection is the latest append.
async function appendAnswer(
  consent: ApiDeps['services']['consent'],
  event: ConsentEvent,
  backdated: boolean,
): Promise<{ streamId: string; event: ConsentEvent }> {
  if (!backdated) return consent.append(event);
  const r = await consent.appendBackdated(event);
  if (r.status === 'older')
    throw new ApiError(
      409,
      'consent_out_of_order',
      `body.occurredAt is older than this subject's answer at ${r.latestAt} for this purpose and channel`,
      [{ path: 'body.occurredAt', message: 'record history oldest first' }],
    );
  return { streamId: r.streamId, event };
}

/** Consent capture and reads for services (marketer, admin) and the propagation status (admin). */
export function consentRoutes(app: ApiApp, deps: ApiDeps): void {
  const { consent, subjects, tokens } = deps.services;
  app.post(
    '/v1/consents',
    {
      schema: {
        summary: 'Record a grant or withdrawal with evidence',
        description:
          'A grant with method staff (entered by staff for the subject) also needs header x-consentflow-reason saying where the subject gave it; without it the answer is 403 reason_required.',
        tags: ['consents'],
        security: bearer,
        body: consentCaptureSchema(deps.services.policy.bundle),
        response: { 201: Captured, ...errors },
      },
      preHandler: deps.keyring.require('marketer', 'admin'),
    },
    async (req, reply) => {
      const b = req.body;
      // Staff typing in an answer is an operator act with a reason, never a capture by the subject.
      // 403, not 400: the body is valid; the caller may not enter a grant for someone else without saying on what evidence.
      if (b.method === 'staff' && b.action === 'grant' && reasonOf(req) === undefined)
        throw new ApiError(
          403,
          'reason_required',
          'a staff-entered grant needs header x-consentflow-reason saying where the subject gave it (a ticket, a call)',
          [{ path: 'headers.x-consentflow-reason', message: 'required for method staff' }],
        );
      const now = nowOf(deps);
      const subjectRef = deps.services.pseudonymize(b.subjectId);
      const r = buildConsentEvent(
        {
          type: b.action === 'grant' ? 'granted' : 'withdrawn',
          subjectRef,
          purpose: b.purpose,
          channel: b.channel,
          noticeVersion: b.noticeVersion,
          language: b.language,
          collectionPoint: b.collectionPoint,
          method: b.doubleOptIn ? 'double_opt_in' : b.method,
          jurisdiction: b.jurisdiction,
          source: `${b.method === 'staff' ? 'staff' : 'api'}:${req.caller!.name}`,
          pending: b.doubleOptIn,
          givenBy: b.givenBy,
          evidence: evidenceOf(req, deps.config.secrets.pseudonymKey),
          occurredAt: b.occurredAt,
        },
        deps.services.policy.bundle,
        now,
        ulid(now.getTime()),
      );
      // A well-formed time that the clock or the notice history rules out conflicts with state: 409, like an out-of-order answer.
      const conflict = r.ok
        ? false
        : r.code === 'time_in_future' || r.code === 'time_before_notice' || r.code === 'no_notice_in_force';
      if (!r.ok)
        throw new ApiError(conflict ? 409 : 400, r.code, `body.${r.message}`, [
          { path: `body.${r.field}`, message: r.problem },
        ]);
      const { streamId, event } = await appendAnswer(consent, r.event, b.occurredAt !== undefined);
      const confirmUrl = b.doubleOptIn
        ? `${deps.config.publicUrl}/confirm/${await tokens.sign({ scope: 'confirm', sub: subjectRef, purpose: event.purpose, channel: event.channel }, CONFIRM_TTL_DAYS)}`
        : undefined;
      const propagationId =
        event.type === 'withdrawn'
          ? await propagate(deps, subjectRef, {
              kind: 'withdrawn',
              changeId: event.id,
              purpose: event.purpose,
              channel: event.channel,
            })
          : undefined;
      if (event.method === 'staff')
        await recordApiOperator(deps, req, {
          action: OperatorAction.consent_recorded_by_staff,
          subjectRef,
          purpose: event.purpose,
          channel: event.channel,
          detail: `type=${event.type} event=${event.id}`,
        });
      return reply
        .code(201)
        .send({ event, streamId, ...(confirmUrl ? { confirmUrl } : {}), ...(propagationId ? { propagationId } : {}) });
    },
  );

  app.get(
    '/v1/subjects/:id/consents',
    {
      schema: {
        summary: 'Current consent, suppressions and full history of a subject',
        tags: ['consents'],
        security: bearer,
        params: SubjectParams,
        response: { 200: ConsentView, ...errors },
      },
      preHandler: deps.keyring.require('marketer', 'admin'),
    },
    async (req) => {
      const ref = refOfParam(deps, req.params.id);
      await recordApiOperator(deps, req, { action: OperatorAction.profile_read, subjectRef: ref, detail: 'consents' });
      const [projection, suppressions, history, erased, state] = await Promise.all([
        consent.projection(ref),
        consent.suppressions(ref),
        consent.events(ref),
        subjects.isErased(ref),
        consent.loadGuardState(ref),
      ]);
      return {
        subjectRef: ref,
        erased,
        personalisation: state.personalisation,
        current: Object.values(projection),
        suppressions,
        history,
      };
    },
  );

  app.get(
    '/v1/subjects/:id/propagation',
    {
      schema: {
        summary: 'Per-processor status of withdrawals, unsubscribes, erasures and corrections',
        tags: ['propagation'],
        security: bearer,
        params: SubjectParams,
        response: { 200: z.object({ subjectRef: z.string(), records: z.array(PropagationRecord) }), ...errors },
      },
      preHandler: deps.keyring.require('admin'),
    },
    async (req) => {
      const ref = refOfParam(deps, req.params.id);
      return { subjectRef: ref, records: await deps.rights.propagation.list(ref) };
    },
  );
}
