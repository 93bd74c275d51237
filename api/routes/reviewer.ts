import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { LogEntry, LogKind, LogOutcome } from '../../domain/decision-log.js';
import { ReviewId } from '../../domain/review-report.js';
import { listReports, readReport, reportHtmlPath, reportsDirOf } from '../../infra/reports/report-store.js';
import { ApiError } from '../errors.js';
import { type ApiApp, type ApiDeps } from '../deps.js';
import { bearer, errors, htmlPage } from '../schemas.js';
import { Actor, OperatorAction } from '../../domain/operator-action.js';
import { recordApiOperator } from '../operator-audit.js';

const LogQuery = z.strictObject({
  subjectRef: z
    .string()
    .regex(/^sr_[A-Za-z0-9_-]{22}$/, 'must be a subjectRef (sr_ + 22 characters)')
    .optional(),
  campaignId: z.string().max(128).optional(),
  purpose: z.string().max(128).optional(),
  outcome: z.enum(LogOutcome).optional(),
  kind: z.enum(LogKind).optional(),
  reason: z.string().max(64).optional(),
  actor: Actor.optional().describe('operator entries of this actor (an API key name or a CLI --actor)'),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,512}$/, 'must be the cursor of the previous page')
    .optional()
    .describe('the cursor of the previous page'),
});

const ReportParams = z.strictObject({ id: ReviewId });

/** Reviewer reads (reviewer, admin): the pseudonymous decision log, its verification, and review reports. */
export function reviewerRoutes(app: ApiApp, deps: ApiDeps): void {
  const reviewer = deps.keyring.require('reviewer', 'admin');
  const dir = reportsDirOf(deps.config);

  app.get(
    '/v1/log',
    {
      schema: {
        summary: 'Query the decision log (pseudonymous)',
        tags: ['reviewer'],
        security: bearer,
        querystring: LogQuery,
        response: { 200: z.object({ entries: z.array(LogEntry), cursor: z.string().nullable() }), ...errors },
      },
      preHandler: reviewer,
    },
    async (req) => {
      const { limit, cursor, since, until, ...rest } = req.query;
      // The read is recorded before it is answered; the subject appears only by its ref.
      const asked = Object.entries(req.query)
        .filter(([k, v]) => v !== undefined && k !== 'cursor')
        .map(([k, v]) => `q.${k}=${String(v)}`)
        .join(' ');
      await recordApiOperator(deps, req, { action: OperatorAction.log_queried, detail: asked });
      try {
        // The log starts at the Unix epoch (stream ids are milliseconds since it): earlier bounds mean "from the start".
        const at = (iso: string) => new Date(Math.max(0, Date.parse(iso)));
        return await deps.services.log.queryPage(
          { ...rest, ...(since ? { since: at(since) } : {}), ...(until ? { until: at(until) } : {}) },
          limit,
          cursor,
        );
      } catch (e) {
        if ((e as Error).name === 'ZodError' || /cursor/i.test((e as Error).message))
          throw new ApiError(
            404,
            'cursor_not_found',
            'query.cursor names no page of this log; use the cursor from the previous page or start without one',
            [{ path: 'query.cursor', message: 'use the cursor from the previous page' }],
          );
        throw e;
      }
    },
  );

  app.get(
    '/v1/log/verify',
    {
      schema: {
        summary: 'Verify every hash chain of the decision log',
        tags: ['reviewer'],
        security: bearer,
        response: {
          200: z.object({
            ok: z.boolean(),
            entries: z.number(),
            partitions: z.number(),
            segments: z.number(),
            breaks: z.array(z.unknown()),
            witnessed: z.boolean(),
          }),
          ...errors,
        },
      },
      preHandler: reviewer,
    },
    async (req) => {
      const report = await deps.services.log.verify();
      await recordApiOperator(deps, req, {
        action: OperatorAction.log_verified,
        detail: `ok=${report.ok} entries=${report.entries} breaks=${report.breaks.length}`,
      });
      return report;
    },
  );

  app.get(
    '/v1/reviews',
    {
      schema: {
        summary: 'Compliance review reports, newest first',
        tags: ['reviewer'],
        security: bearer,
        response: { 200: z.object({ reports: z.array(z.unknown()) }), ...errors },
      },
      preHandler: reviewer,
    },
    async () => ({ reports: await listReports(dir) }),
  );

  app.get(
    '/v1/reviews/:id',
    {
      schema: {
        summary: 'One review report as JSON',
        tags: ['reviewer'],
        security: bearer,
        params: ReportParams,
        response: { 200: z.unknown(), ...errors },
      },
      preHandler: reviewer,
    },
    async (req) => {
      const r = await readReport(dir, req.params.id);
      if (!r) throw new ApiError(404, 'report_not_found', `no review ${req.params.id}`);
      await recordApiOperator(deps, req, { action: OperatorAction.report_read, detail: `report=${req.params.id}` });
      return r;
    },
  );

  app.get(
    '/v1/reviews/:id/html',
    {
      schema: {
        summary: 'One review report as a self-contained HTML page',
        tags: ['reviewer'],
        security: bearer,
        params: ReportParams,
        response: { 200: htmlPage('report'), ...errors },
      },
      preHandler: reviewer,
    },
    async (req, reply) => {
      const text = await readFile(reportHtmlPath(dir, req.params.id), 'utf8').catch(() => undefined);
      if (text === undefined) throw new ApiError(404, 'report_not_found', `no review ${req.params.id}`);
      await recordApiOperator(deps, req, {
        action: OperatorAction.report_read,
        detail: `report=${req.params.id} format=html`,
      });
      return reply.type('text/html; charset=utf-8').send(text);
    },
  );
}
