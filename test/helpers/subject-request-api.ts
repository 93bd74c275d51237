import type { LightMyRequestResponse } from 'fastify';
import type { SubjectRef } from '../../domain/ids.js';
import { rightsStores } from '../../infra/subject-request-deps.js';
import { auth, RecordingNotifier, useApi } from './api.js';
import { useEngine, type Engine } from './engine.js';

/** The engine and API a subject-request test drives, with the processor webhooks recorded. */
export interface SubjectRequestApi {
  readonly engine: Engine;
  readonly api: ReturnType<typeof useApi>;
  /** Answers `ok` unless told otherwise per processor in `answers`. */
  readonly notifier: RecordingNotifier;
  /** POST /v1/subject-requests as `role`. */
  start(body: unknown, role?: 'admin' | 'reviewer'): Promise<LightMyRequestResponse>;
  /** The request, bundle and propagation stores the API and worker share. */
  stores(): ReturnType<typeof rightsStores>;
  /**
   * Logs an allow decision and its sent delivery to `processor`, as the send path does: propagation finds the
   * processors a subject reached (and what they received) from these.
   */
  delivered(ref: SubjectRef | string, processor: string, fieldsReleased?: string[]): Promise<void>;
}

/** Starts the real engine (worker, Temporal, Redis, decision log) and the API on it before the file's tests. */
export function useSubjectRequestApi(): SubjectRequestApi {
  const notifier = new RecordingNotifier();
  const engine = useEngine({ notifier });
  const api = useApi(engine);
  return {
    engine,
    api,
    notifier,
    start: (body, role = 'admin') =>
      api.app.inject({ method: 'POST', url: '/v1/subject-requests', headers: auth(role), payload: body as object }),
    stores: () => rightsStores(engine.config, engine.services.log.opts.redis),
    async delivered(ref, processor, fieldsReleased = ['email', 'first_name']) {
      const [decision] = await engine.services.log.appendBatch([
        {
          subjectRef: ref,
          kind: 'decision',
          outcome: 'allow',
          purpose: 'marketing.email.newsletter',
          channel: 'email',
          processor,
          fieldsReleased,
        },
      ]);
      await engine.services.log.append({
        subjectRef: ref,
        kind: 'delivery',
        outcome: 'sent',
        purpose: 'marketing.email.newsletter',
        channel: 'email',
        processor,
        decisionId: decision!.id,
        result: 'accepted',
      });
    },
  };
}
