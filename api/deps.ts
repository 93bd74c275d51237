import type { Client } from '@temporalio/client';
import { ulid } from 'ulid';
import type { FastifyInstance, FastifyBaseLogger, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { SubjectId, type SubjectRef } from '../domain/ids.js';
import type { PropagationKind } from '../domain/propagation.js';
import type { AppConfig } from '../infra/config.js';
import type { Services } from '../infra/compose.js';
import type { ReadinessChecks } from '../infra/health.js';
import type { rightsStores } from '../infra/subject-request-deps.js';
import { startPropagation } from '../infra/temporal/rights.js';
import type { TokenClaims, TokenScope } from '../infra/tokens.js';
import type { PropagationInput } from '../workflows/propagation.js';
import type { NoticeTexts } from '../infra/notices/notice-texts.js';
import type { ApiKeyring } from './auth.js';
import type { MissingText } from './i18n/page-text.js';
import { ApiError } from './errors.js';
import type { ProcessMetrics } from '../infra/metrics/provider.js';
import type { ComplaintIntake } from '../infra/complaints/intake.js';

/** Everything the API needs, composed by its entry point (`consentflow api`, `dev`, tests). */
export interface ApiDeps {
  readonly config: AppConfig;
  readonly services: Services;
  readonly rights: ReturnType<typeof rightsStores>;
  readonly temporal: Client;
  readonly taskQueue: string;
  readonly keyring: ApiKeyring;
  /** Plain-language name and description of a campaign, for "why this message". */
  readonly campaignInfo: (campaignId: string) => { readonly name: string; readonly description: string } | undefined;
  /** The privacy-notice texts that match their recorded hashes, served at /notices/:version. */
  readonly notices: NoticeTexts;
  /** Told of every subject-page text missing in the page's language (tests fail on any). */
  readonly onMissingText?: MissingText;
  readonly now?: () => Date;
  /** Retry tuning for processor notices (tests shorten it). */
  readonly propagationRetry?: PropagationInput['retry'];
  /** The JSON request log (`createLogger`); none when absent. */
  readonly logger?: FastifyBaseLogger;
  /** The process's metrics, served at `/metrics`; a provider of its own when absent. */
  readonly metrics?: ProcessMetrics;
  /** Complaint intake for `POST /v1/complaints`; one on `services` and the log's Redis when absent. */
  readonly complaints?: ComplaintIntake;
  /** Readiness checks; the real ones (from `services` and `temporal`) when absent. */
  readonly readiness?: ReadinessChecks;
}

/** The Fastify instance type with the zod type provider. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const TOKEN_STATUS = { malformed: 400, bad_signature: 403, wrong_scope: 403, expired: 410 } as const;

/** Verifies a subject link token or throws a 4xx naming what is wrong; nothing is changed on failure. */
export async function claimsOf(deps: ApiDeps, token: string, scope: TokenScope): Promise<TokenClaims> {
  const r = await deps.services.tokens.verify(token, scope);
  if (!r.ok)
    throw new ApiError(TOKEN_STATUS[r.code], `token_${r.code}`, r.message, [
      { path: 'params.token', message: r.message },
    ]);
  return r.claims;
}

/** The subject ref of a subject id from a path parameter. */
export function refOfParam(deps: ApiDeps, id: string): SubjectRef {
  const r = SubjectId.safeParse(id);
  // The id is personal data: the message describes the problem without echoing it.
  if (!r.success)
    throw new ApiError(400, 'invalid_request', `params.id is invalid: ${r.error.issues[0]?.message}`, [
      { path: 'params.id', message: r.error.issues[0]?.message ?? 'invalid' },
    ]);
  return deps.services.pseudonymize(r.data);
}

/** Starts propagation of a withdrawal, unsubscribe or erasure to running journeys and processors. */
export async function propagate(
  deps: ApiDeps,
  ref: SubjectRef,
  change: { kind: PropagationKind; changeId?: string; purpose?: string; channel?: string },
): Promise<string> {
  return startPropagation(deps.temporal, deps.taskQueue, {
    v: 1,
    changeId: change.changeId ?? ulid(),
    kind: change.kind,
    subjectRef: ref,
    purpose: change.purpose,
    channel: change.channel,
    retry: deps.propagationRetry,
  });
}

/** The server clock (never the client's) for consent events. */
export const nowOf = (deps: ApiDeps): Date => deps.now?.() ?? new Date();
