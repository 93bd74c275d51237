import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertWorkflowId } from '../../domain/alert.js';
import { alertRaiser } from '../../infra/alerts/raise.js';
import { alertSignature, alertSigningKey } from '../../infra/alerts/webhook.js';
import { ensureOperationsWatch } from '../../infra/temporal/operations-watch-start.js';
import type { AlertResult } from '../../workflows/alert.js';
import { useAlertWorker } from '../helpers/alert-worker.js';
import { eventually } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

// A Redis of this file's own: the outage test makes it refuse writes, which must not touch anyone else's tests.
const w = await useAlertWorker({ failFirst: 1 });
const { config, receiver } = w;

test('an alert goes to the webhook (retried after a failed attempt, signed) and to the compliance contact, is logged, and is raised once per key', async () => {
  const raise = alertRaiser(w.client, w.taskQueue);
  const key = `chain_break:${uniqueId('t')}`;
  const alert = {
    v: 1 as const,
    kind: 'chain_break' as const,
    key,
    text: 'the decision log has a break in chain 3',
    at: new Date().toISOString(),
    facts: { chain: 3, seq: 17 },
  };
  assert.equal(await raise(alert), 'raised');
  const result = (await w.client.workflow.getHandle(alertWorkflowId(key)).result()) as AlertResult;
  assert.deepEqual({ webhook: result.webhook, email: result.email }, { webhook: 'delivered', email: 'delivered' });
  const posts = receiver.of(key);
  assert.deepEqual(
    posts.map((p) => p.status),
    [503, 200],
    'the first attempt failed and the activity retried',
  );
  assert.equal(posts[1]!.signature, alertSignature(alertSigningKey(config.secrets.tokenKey), posts[1]!.body));
  const body = JSON.parse(posts[1]!.body) as { text: string; kind: string; facts: Record<string, unknown> };
  assert.equal(body.text, 'the decision log has a break in chain 3');
  assert.deepEqual(body.facts, { chain: 3, seq: 17 });
  const mail = w.sink.received.find(
    (m) => m.envelopeTo.includes('compliance@shop.example') && m.messageId?.includes(key.replace(/:/g, '.')),
  );
  assert.ok(mail, 'mailed to the policy compliance contact');
  const logged = (await w.alertEntries('chain_break')).filter((e) => (e.result ?? '').includes(key));
  assert.equal(logged.length, 1);
  assert.match(logged[0]!.result!, /^actor=monitor alert=chain_break key=chain_break:\S+ chain=3 seq=17$/);
  // The same condition again: nothing is delivered a second time.
  assert.equal(await raise({ ...alert, at: new Date().toISOString() }), 'duplicate');
  assert.equal(receiver.of(key).length, 2);
  await assert.rejects(raise({ ...alert, key: 'has spaces' }), /alert key/);
});

test('a decision log that refuses appends longer than the outage limit raises one log_outage alert, logged once the log is back', async () => {
  assert.equal(
    await ensureOperationsWatch(w.client, w.taskQueue, { tickMs: 200, outageMs: 1_000, deadlinesEveryMs: 3_600_000 }),
    'started',
  );
  assert.equal(await ensureOperationsWatch(w.client, w.taskQueue, { tickMs: 200 }), 'exists');
  const outageKeys = () =>
    new Set(
      receiver.posts
        .map((p) => JSON.parse(p.body) as { key: string; kind: string })
        .filter((b) => b.kind === 'log_outage')
        .map((b) => b.key),
    );
  // Redis refuses every write without a replica: the append path and the probe alike (NOREPLICAS).
  await w.admin.config('SET', 'min-replicas-to-write', '1');
  try {
    await eventually(
      () =>
        receiver.posts.some((p) => p.status === 200 && (JSON.parse(p.body) as { kind: string }).kind === 'log_outage')
          ? true
          : undefined,
      60_000,
      'the log outage alert',
    );
  } finally {
    await w.admin.config('SET', 'min-replicas-to-write', '0');
  }
  const logged = await eventually(
    async () => {
      const found = await w.alertEntries('log_outage');
      return found.length ? found : undefined;
    },
    60_000,
    'the outage alert in the log once it is back',
  );
  assert.equal(logged.length, 1);
  assert.equal(outageKeys().size, 1, 'one outage, one alert, however many ticks saw it');
  assert.match(
    JSON.parse(receiver.posts.find((p) => p.status === 200 && p.body.includes('log_outage'))!.body).text as string,
    /^The decision log has refused appends since \S+ \((EXECABORT|NOREPLICAS).*\)/,
  );
});
