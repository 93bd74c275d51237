import { before, after } from 'node:test';
import type { ProcessorNotice, ProcessorNotifier, NotifyResult } from '../../domain/propagation.js';
import { ApiKeyring } from '../../api/auth.js';
import type { ApiApp } from '../../api/deps.js';
import { buildApi } from '../../api/server.js';
import { exampleWorkspace } from './example-workspace.js';
import { rightsStores } from '../../infra/subject-request-deps.js';
import type { Engine } from './engine.js';
import { loadNoticeTexts } from '../../infra/notices/notice-texts.js';

/** Subject-page texts that were missing in the language a page was rendered in, as `lang:key`. */
export const missingTexts: string[] = [];

/** API keys for tests, one per role. */
export const keys = {
  admin: 'admin-secret-0123456789abcdef',
  marketer: 'marketer-secret-0123456789abc',
  reviewer: 'reviewer-secret-0123456789ab',
} as const;
/** The Authorization header of a role. */
export const auth = (role: keyof typeof keys) => ({ authorization: `Bearer ${keys[role]}` });

/** A processor-notice double: records every notice and answers as told per processor. */
export class RecordingNotifier implements ProcessorNotifier {
  readonly notices: { processor: string; notice: ProcessorNotice }[] = [];
  readonly answers = new Map<string, NotifyResult>();
  async notify(processor: string, notice: ProcessorNotice): Promise<NotifyResult> {
    this.notices.push({ processor, notice });
    return this.answers.get(processor) ?? { ok: true };
  }
}

/** Builds the API on the engine's services and task queue; `app` is ready after `before`. */
export function useApi(engine: Engine): { app: ApiApp; ready: Promise<ApiApp> } {
  let resolveReady: (app: ApiApp) => void = () => undefined;
  // Root-level before hooks of one file may overlap, so other hooks wait on this rather than on their order.
  const holder = { ready: new Promise<ApiApp>((r) => (resolveReady = r)) } as { app: ApiApp; ready: Promise<ApiApp> };
  before(async () => {
    const ws = await exampleWorkspace();
    const { campaigns } = ws;
    holder.app = await buildApi({
      // A getter: the engine connects its client in its own before hook.
      get temporal() {
        return engine.client;
      },
      config: engine.config,
      services: engine.services,
      rights: rightsStores(engine.config, engine.services.log.opts.redis),
      taskQueue: engine.taskQueue,
      keyring: new ApiKeyring(
        (Object.keys(keys) as (keyof typeof keys)[]).map((role) => ({
          name: `test-${role}`,
          role,
          secret: keys[role],
        })),
      ),
      campaignInfo: (id) => (Object.hasOwn(campaigns, id) ? campaigns[id] : undefined),
      propagationRetry: { maximumAttempts: 3, initialIntervalMs: 50 },
      notices: loadNoticeTexts(ws.paths.policy, engine.services.policy.bundle.notices),
      // A subject-page text missing in the page's language fails the test that rendered it.
      onMissingText: (lang, key) => missingTexts.push(`${lang}:${key}`),
    });
    resolveReady(holder.app);
  });
  after(() => holder.app?.close());
  return holder;
}
