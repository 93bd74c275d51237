import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { compilePolicy } from '../../domain/policy.js';
import { policy as shipped } from '../../policy/index.js';
import { createPropagationActivities, type PropagationDeps } from '../../activities/propagation.js';
import { compiled, event, NOW, noticeHash, state, SUBJECT } from '../domain/guard-fixtures.js';

// A CN subject with its separate transfer consent: the worker's own policy lets a correction reach the EU relay.
const cn = { jurisdiction: 'CN', language: 'zh-CN', noticeHash: noticeHash(3, 'zh-CN') } as const;
const consented = state([event(cn), event({ ...cn, purpose: 'transfer.overseas.smtp_relay' })]);
// The deployed policy of record no longer lists that relay at all.
const deployed = compilePolicy(
  { ...shipped, processors: shipped.processors.filter((p) => p.id !== 'smtp-relay') },
  'deployed-without-relay',
);

function deps(content: PropagationDeps['content'], notified: string[], logged: unknown[]): PropagationDeps {
  return {
    signalJourneys: async () => 0,
    deliveredProcessors: async () => [],
    propagationStatus: { put: async () => undefined, get: async () => undefined },
    notifier: {
      notify: async (processor) => {
        notified.push(processor);
        return { ok: true as const };
      },
    },
    identities: {
      forChange: async () => ({
        scheme: 'hmac-sha256-address/v1' as const,
        field: 'email' as const,
        hash: 'a'.repeat(64),
      }),
    },
    correctedValues: async () => ({ first_name: 'Lin' }),
    transportProcessors: new Set(),
    now: () => NOW,
    guardState: async () => consented,
    policy: () => compiled,
    content,
    appendLog: async (entries) => {
      logged.push(...entries);
      return [];
    },
  };
}

const inform = {
  subjectRef: SUBJECT,
  changeId: 'chg-1',
  kind: 'corrected' as const,
  processor: 'smtp-relay',
  fields: ['first_name'],
};

test("a correction notice is judged by the deployed policy of record, not by the worker's own policy", async () => {
  const notified: string[] = [];
  const logged: unknown[] = [];
  const env = new MockActivityEnvironment();
  const own = await env.run(createPropagationActivities(deps(undefined, notified, logged)).informProcessor, inform);
  assert.equal(own, 'informed', "without deploys the worker's policy is the policy of record and allows it");
  assert.deepEqual(notified, ['smtp-relay']);

  notified.length = 0;
  logged.length = 0;
  const content = { currentPolicy: async () => deployed };
  const r = await env.run(createPropagationActivities(deps(content, notified, logged)).informProcessor, inform);
  assert.equal(r, 'withheld');
  assert.deepEqual(notified, [], 'nothing reaches the processor the deployed policy does not know');
  assert.equal(logged.length, 1);
  assert.deepEqual((logged[0] as { reasons: string[] }).reasons, ['processor_unknown']);
});
