import { hkdfSync } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { SubjectRequestDeps } from '../activities/subject-request.js';
import type { LogEntry } from '../domain/decision-log.js';
import type { SubjectRef } from '../domain/ids.js';
import type { ProcessorNotifier } from '../domain/propagation.js';
import type { AppConfig } from './config.js';
import type { Services } from './compose.js';
import { DsarBundles } from './dsar-bundles.js';
import { ProcessorIdentities } from './processor-identities.js';
import { PropagationStore } from './redis/propagation-store.js';
import { SubjectRequestStore } from './redis/subject-request-store.js';
import { signalConsentChange } from './temporal/journeys.js';
import { HttpWebhookNotifier, parseProcessorWebhooks } from './webhook-notifier.js';

/** Processors that only relay messages and keep no subject data to act on: informed once sending stops. */
export const TRANSPORT_PROCESSORS: ReadonlySet<string> = new Set(['smtp-relay']);

/** Every log entry about a subject, oldest first. */
export async function logEntriesOf(s: Services, ref: SubjectRef): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of s.log.query({ subjectRef: ref })) out.push(e);
  return out;
}

/** The processors a subject's data went to: every processor named by a `sent` delivery entry. */
export async function deliveredProcessors(s: Services, ref: SubjectRef): Promise<string[]> {
  const seen = new Set<string>();
  for await (const e of s.log.query({ subjectRef: ref, kind: 'delivery', outcome: 'sent' }))
    if (e.processor) seen.add(e.processor);
  return [...seen].sort();
}

/** The fields a processor received about a subject: those released by decisions whose delivery to it was sent. */
export async function receivedFields(s: Services, ref: SubjectRef, processor: string): Promise<string[]> {
  const sent = new Set<string>();
  const released = new Map<string, readonly string[]>();
  for await (const e of s.log.query({ subjectRef: ref })) {
    if (e.processor !== processor) continue;
    if (e.kind === 'delivery' && e.outcome === 'sent' && e.decisionId) sent.add(e.decisionId);
    if (e.kind === 'decision' && e.id) released.set(e.id, e.fieldsReleased ?? []);
  }
  return [...new Set([...sent].flatMap((id) => released.get(id) ?? []))].sort();
}

/** The redis-backed stores of subject rights, built the same way by the worker, the API and the CLI. */
export function rightsStores(config: AppConfig, redis: Redis) {
  return {
    requests: new SubjectRequestStore(redis, config.redisKeyPrefix, config.secrets.masterKey),
    propagation: new PropagationStore(redis, config.redisKeyPrefix),
    bundles: new DsarBundles(config.dataDir),
  };
}

/** How notices name a subject to each processor (see ProcessorIdentities). */
export function processorIdentities(config: AppConfig, s: Services, redis: Redis): ProcessorIdentities {
  return new ProcessorIdentities(redis, config.redisKeyPrefix, config.secrets.pseudonymKey, {
    readFields: (ref, fields) => s.subjects.readFields(ref, fields),
    receivedFields: (ref, processor) => receivedFields(s, ref, processor),
    deliveredProcessors: (ref) => deliveredProcessors(s, ref),
  });
}

/** The webhook notifier from config; notices are signed with a key derived from the token key. */
export function webhookNotifier(config: AppConfig): ProcessorNotifier {
  const key = Buffer.from(hkdfSync('sha256', config.secrets.tokenKey, Buffer.alloc(0), 'consentflow/webhook/v1', 32));
  return new HttpWebhookNotifier(parseProcessorWebhooks(config.env.CONSENTFLOW_PROCESSOR_WEBHOOKS), key);
}

/** Wires the subject-request and propagation activity ports to the real stores. */
export function subjectRequestDeps(
  config: AppConfig,
  s: Services,
  io: { redis: Redis; client: Client; notifier?: ProcessorNotifier },
): Omit<SubjectRequestDeps, 'policy' | 'content' | 'now' | 'appendLog'> {
  const stores = rightsStores(config, io.redis);
  return {
    signalJourneys: (ref, change) => signalConsentChange(io.client, ref, change),
    deliveredProcessors: (ref) => deliveredProcessors(s, ref),
    propagationStatus: stores.propagation,
    notifier: io.notifier ?? webhookNotifier(config),
    identities: processorIdentities(config, s, io.redis),
    correctedValues: async (ref, processor, fields) => {
      const received = new Set(await receivedFields(s, ref, processor));
      const names = fields.filter((f) => received.has(f));
      const read = names.length ? await s.subjects.readFields(ref, names) : undefined;
      return read?.status === 'found' ? { ...read.fields } : {};
    },
    transportProcessors: TRANSPORT_PROCESSORS,
    guardState: (ref) => s.consent.loadGuardState(ref),
    subjectRights: {
      readAll: (ref) => s.subjects.readAllForAccessRequest(ref),
      upsert: (subjectId, fields) =>
        s.subjects.upsert(subjectId, fields).then((r) => ({ status: r.status, ref: r.ref })),
      erase: (ref, source) => s.subjects.erase(ref, source),
      consentEvents: (ref) => s.consent.events(ref),
      suppressions: (ref) => s.consent.suppressions(ref),
      guardState: (ref) => s.consent.loadGuardState(ref),
      logEntries: (ref) => logEntriesOf(s, ref),
    },
    requests: stores.requests,
    bundles: stores.bundles,
  };
}
