import { z } from 'zod';
import { ComplaintSource, FeedbackType } from '../../domain/complaint.js';
import { MessageIdSchema } from '../../infra/complaints/arf.js';
import type { ComplaintIntake } from '../../infra/complaints/intake.js';
import { ApiError } from '../errors.js';
import { type ApiApp, type ApiDeps, nowOf } from '../deps.js';
import { bearer, errors } from '../schemas.js';

/** A relay's complaint event: our Message-ID, and what the relay knows of the report. */
const ComplaintBody = z.strictObject({
  messageId: MessageIdSchema.describe(
    'the Message-ID of the message complained about, as we sent it (angle brackets included)',
  ),
  feedbackType: FeedbackType.default('abuse').describe('RFC 5965 feedback type; not-spam records nothing'),
  receivedAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, e.g. 2026-11-30T08:00:00Z' })
    .optional()
    .describe('when the relay received the report'),
});

const Outcome = z.object({
  status: z.enum(['recorded', 'duplicate', 'unmatched', 'not_a_complaint']),
  subjectRef: z.string().optional(),
  campaignId: z.string().nullable().optional(),
  entryId: z.string().optional(),
});

/**
 * `POST /v1/complaints` for relays that post complaint events as JSON. Marketer and admin keys may post, as for
 * consent capture: the relay is a sending service's integration, and the post writes a suppression, which a
 * read-only reviewer key must not.
 */
export function complaintRoutes(app: ApiApp, deps: ApiDeps, intake: ComplaintIntake): void {
  app.post(
    '/v1/complaints',
    {
      schema: {
        summary: 'Record a recipient complaint about one of our messages: suppress the subject, log it, count it',
        tags: ['complaints'],
        security: bearer,
        body: ComplaintBody,
        response: {
          200: Outcome.describe('nothing recorded: an unknown Message-ID, a not-spam report or a repeat'),
          202: Outcome.describe('recorded: the subject is suppressed'),
          ...errors,
        },
      },
      preHandler: deps.keyring.require('marketer', 'admin'),
    },
    async (req, reply) => {
      const b = req.body;
      const receivedAt = b.receivedAt ? new Date(b.receivedAt) : undefined;
      // A well-formed time the server clock rules out conflicts with state, like a future consent time: 409.
      if (receivedAt && receivedAt.getTime() > nowOf(deps).getTime() + 5 * 60_000) {
        throw new ApiError(
          409,
          'time_in_future',
          'body.receivedAt is in the future; send the time the relay received the report',
          [{ path: 'body.receivedAt', message: 'in the future' }],
        );
      }
      const r = await intake.receive({
        source: ComplaintSource.webhook,
        feedbackType: b.feedbackType,
        messageId: b.messageId,
        actor: req.caller!.name,
        ...(receivedAt ? { receivedAt } : {}),
      });
      if (r.status === 'malformed') throw new ApiError(400, r.code, r.message);
      return reply.code(r.status === 'recorded' ? 202 : 200).send(r);
    },
  );
}
