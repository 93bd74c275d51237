import { z } from 'zod';
import { SubjectId } from '../../domain/ids.js';
import { fieldValueSchema, type SubjectFieldSpec } from '../../domain/subject-field.js';
import { checkCorrections, isOverdue, SubjectRequestId, SubjectRequestRecord } from '../../domain/subject-request.js';
import { discardBundle } from '../../infra/dsar-bundles.js';
import { newSubjectRequestId, startSubjectRequest, subjectRequestStatus } from '../../infra/temporal/rights.js';
import { ApiError } from '../errors.js';
import { type ApiApp, type ApiDeps, nowOf } from '../deps.js';
import { bearer, errors } from '../schemas.js';
import { OperatorAction } from '../../domain/operator-action.js';
import { reasonOf, recordApiOperator } from '../operator-audit.js';

/** `POST /v1/subject-requests` body, from the policy's subject schema: `corrections` exactly when type is "correct". */
export function subjectRequestSchema(specs: readonly SubjectFieldSpec[]) {
  // Over HTTP every value is a string; integers are digits (what checkCorrections coerces).
  // Formats as plain patterns (the ones the runtime check uses): JSON Schema `format` checkers disagree on emails.
  const patterns: Partial<Record<string, RegExp>> = {
    integer: /^-?[0-9]{1,9}$/,
    email: z.regexes.email,
    phone: z.regexes.e164,
    date: z.regexes.date,
    datetime: z.regexes.datetime({ offset: true }),
  };
  const value = (f: SubjectFieldSpec) => {
    const p = patterns[f.type];
    return p ? z.string().regex(p) : fieldValueSchema(f);
  };
  const corrections = z
    .strictObject(Object.fromEntries(specs.map((f) => [f.name, value(f).optional()])))
    .refine((c) => Object.values(c).some((v) => v !== undefined), 'name at least one field to correct')
    .meta({ minProperties: 1, description: 'field → new value' });
  return z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('access'), subjectId: SubjectId }),
    z.strictObject({ type: z.literal('erase'), subjectId: SubjectId }),
    z.strictObject({ type: z.literal('correct'), subjectId: SubjectId, corrections }),
  ]);
}

const RequestView = SubjectRequestRecord.extend({ overdue: z.boolean() });
const RequestParams = z.strictObject({ id: SubjectRequestId });

/** Data subject requests (admin): start, status, the access bundle; the list of records (reviewer too). */
export function subjectRequestRoutes(app: ApiApp, deps: ApiDeps): void {
  const view = (r: SubjectRequestRecord) => ({ ...r, overdue: isOverdue(r, nowOf(deps)) });
  const find = async (id: string) =>
    (await subjectRequestStatus(deps.temporal, id)) ?? (await deps.rights.requests.get(id));

  app.post(
    '/v1/subject-requests',
    {
      schema: {
        summary: 'Start a data subject request (access, correct, erase)',
        tags: ['subject-requests'],
        security: bearer,
        body: subjectRequestSchema(deps.services.policy.bundle.subjectFields),
        response: { 202: z.object({ requestId: z.string(), statusUrl: z.string() }), ...errors },
      },
      preHandler: deps.keyring.require('admin'),
    },
    async (req, reply) => {
      const b = req.body;
      reasonOf(req);
      const ref = deps.services.pseudonymize(b.subjectId);
      const receivedAt = nowOf(deps);
      const requestId = newSubjectRequestId(b.type, receivedAt);
      if (b.type === 'correct') {
        const check = checkCorrections(
          b.corrections as Record<string, unknown>,
          deps.services.policy.bundle.subjectFields,
        );
        if (!check.ok)
          throw new ApiError(
            400,
            'invalid_correction',
            `body.corrections is invalid: ${check.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
            check.issues.map((i) => ({ path: `body.${i.path.join('.')}`, message: i.message })),
          );
        await deps.rights.requests.stageCorrections(requestId, { subjectId: b.subjectId, fields: check.fields });
      }
      await startSubjectRequest(deps.temporal, deps.taskQueue, {
        requestId,
        type: b.type,
        subjectRef: ref,
        deadlineDays: deps.config.env.CONSENTFLOW_DSAR_DEADLINE_DAYS,
        receivedAt,
        propagationRetry: deps.propagationRetry,
      });
      await recordApiOperator(deps, req, {
        action: OperatorAction.dsr_received,
        subjectRef: ref,
        detail: `request=${requestId} type=${b.type}`,
      });
      return reply.code(202).send({ requestId, statusUrl: `/v1/subject-requests/${requestId}` });
    },
  );

  app.get(
    '/v1/subject-requests',
    {
      schema: {
        summary: 'Every subject request with its deadline (pseudonymous)',
        tags: ['subject-requests'],
        security: bearer,
        response: { 200: z.object({ requests: z.array(RequestView) }), ...errors },
      },
      preHandler: deps.keyring.require('reviewer', 'admin'),
    },
    async () => ({ requests: (await deps.rights.requests.list()).map(view) }),
  );

  app.get(
    '/v1/subject-requests/:id',
    {
      schema: {
        summary: 'Status of a subject request',
        tags: ['subject-requests'],
        security: bearer,
        params: RequestParams,
        response: { 200: RequestView, ...errors },
      },
      preHandler: deps.keyring.require('admin'),
    },
    async (req) => {
      const r = await find(req.params.id);
      if (!r) throw new ApiError(404, 'request_not_found', `no subject request ${req.params.id}`);
      await recordApiOperator(deps, req, {
        action: OperatorAction.dsr_outcome_read,
        subjectRef: r.subjectRef,
        detail: `request=${r.requestId} status=${r.status}`,
      });
      return view(r);
    },
  );

  app.get(
    '/v1/subject-requests/:id/bundle',
    {
      schema: {
        summary: 'The access bundle of a completed access request; it is deleted once delivered',
        tags: ['subject-requests'],
        security: bearer,
        params: RequestParams,
        response: { 200: z.object({ bundle: z.unknown(), summary: z.string() }), ...errors },
      },
      preHandler: deps.keyring.require('admin'),
    },
    async (req) => {
      const r = await find(req.params.id);
      if (!r?.bundleId)
        throw new ApiError(404, 'bundle_not_found', `request ${req.params.id} has no access bundle (yet)`);
      const b = await deps.rights.bundles.read(r.bundleId);
      if (!b)
        throw new ApiError(
          404,
          'bundle_not_found',
          `the bundle of ${req.params.id} was delivered, expired or erased, or is not on this server's data dir; start a new access request for a fresh one`,
        );
      // The profile leaves through the access path: recorded before it is handed over.
      await recordApiOperator(deps, req, {
        action: OperatorAction.profile_read,
        subjectRef: r.subjectRef,
        detail: `request=${r.requestId} bundle=${r.bundleId}`,
      });
      // Delivered: the copy we keep is plaintext personal data with no further purpose.
      await discardBundle(deps.rights, r.subjectRef, r.bundleId, 'delivered', nowOf(deps));
      return b;
    },
  );
}
