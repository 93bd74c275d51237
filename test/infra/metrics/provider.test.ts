import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerDsrGauges } from '../../../infra/metrics/dsr-metrics.js';
import { createProcessMetrics, MetricsCollectionError } from '../../../infra/metrics/provider.js';
import { serveMetrics } from '../../../infra/metrics/server.js';
import { createSendMetrics } from '../../../infra/metrics/send-metrics.js';

test('each provider counts only its own instruments, so two processes (or two tests) never share a series', async () => {
  const a = createProcessMetrics('a');
  const b = createProcessMetrics('b');
  createSendMetrics(a.meter).sends.add(2, { outcome: 'sent', channel: 'email', campaign: 'c1' });
  createSendMetrics(b.meter);
  assert.match(await a.scrape(), /^consentflow_sends_total\{outcome="sent",channel="email",campaign="c1"\} 2$/m);
  assert.doesNotMatch(await b.scrape(), /^consentflow_sends_total\{/m);
});

test('a register that cannot be read fails the scrape with a 500 naming why, instead of reporting zero requests', async () => {
  const m = createProcessMetrics('api');
  registerDsrGauges(m.meter, () => Promise.reject(new Error('register unreadable: ECONNREFUSED')));
  await assert.rejects(m.scrape(), (e: Error) => e instanceof MetricsCollectionError && /ECONNREFUSED/.test(e.message));
  const server = await serveMetrics(m, '127.0.0.1:0');
  try {
    const res = await fetch(server.url);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /^metrics collection failed: .*ECONNREFUSED/);
    assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
  } finally {
    await server.close();
  }
});
