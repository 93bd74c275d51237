// The send path against real Redis and a real SMTP sink, with faults injected into the real adapters: subjects,
// ledger faults and the log entries of a subject.
import assert from 'node:assert/strict';
import type { SendSpec } from '../../activities/send-pipeline.js';
import type { SubjectRef } from '../../domain/ids.js';
import { consentEvent } from '../helpers/engine.js';
import { newsletterSpec, sendPath } from '../helpers/send-path.js';
import { uniqueId } from '../helpers/services.js';

export const path = sendPath('pipe');
export const { redis, prefix, config, services } = path;

export const spec = newsletterSpec;

export async function subject(fields: Record<string, string>, purpose = 'marketing.email.newsletter') {
  const address = `${uniqueId('p')}@example.org`;
  const r = await services.subjects.upsert(uniqueId('s'), { email: address, ...fields });
  assert.equal(r.status, 'written');
  if (r.status !== 'written') throw new Error('unreachable');
  await services.consent.append(consentEvent(r.ref, { purpose }));
  return { ref: r.ref, address };
}
export const withLedger = (over: Partial<Record<'put' | 'settle' | 'claim', (...a: never[]) => Promise<unknown>>>) => ({
  ...path.deps,
  ledger: Object.assign(
    Object.create(Object.getPrototypeOf(path.deps.ledger) as object),
    path.deps.ledger,
    over,
  ) as typeof path.deps.ledger,
});
export const crashBeforeCommit = () =>
  withLedger({ settle: async () => Promise.reject(new Error('injected: crash before the commit')) });
export const mails = (address: string) => path.sink.received.filter((m) => m.envelopeTo.includes(address));
/** The crashed attempt's lease running out, as Redis sees it: its reservation's in-flight entry is in the past. */
export const leaseRunsOut = (ref: SubjectRef, s: SendSpec) =>
  redis.zadd(services.keys.inflight(ref), 1, path.deps.ledger.key(ref, `${s.workflowId}:${s.stepId}`));

export async function entriesOf(ref: string) {
  const out = [];
  for await (const e of services.log.query({ subjectRef: ref as never })) out.push(e);
  return out;
}
