import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReportSummary } from '../../domain/review-report.js';
import { auth, useApi } from '../helpers/api.js';
import { useEngine } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';

const engine = useEngine();
const api = useApi(engine);

test('a reviewer lists reviews, reads one as JSON and opens its HTML report; other roles and bad ids are refused', async () => {
  const app = await api.ready;
  const since = new Date(Date.now() - 60_000);
  const summary = (await engine.client.workflow.execute('review', {
    taskQueue: engine.taskQueue,
    workflowId: uniqueId('review'),
    args: [{ v: 1, since: since.toISOString(), until: new Date(Date.now() + 1000).toISOString() }],
  })) as ReportSummary;
  const list = await app.inject({ method: 'GET', url: '/v1/reviews', headers: auth('reviewer') });
  assert.equal(list.statusCode, 200);
  const ids = (list.json() as { reports: Array<{ id: string }> }).reports.map((r) => r.id);
  assert.ok(ids.includes(summary.id));
  const one = await app.inject({ method: 'GET', url: `/v1/reviews/${summary.id}`, headers: auth('reviewer') });
  assert.equal(one.statusCode, 200);
  assert.equal((one.json() as { id: string; status: string }).id, summary.id);
  const html = await app.inject({ method: 'GET', url: `/v1/reviews/${summary.id}/html`, headers: auth('reviewer') });
  assert.equal(html.statusCode, 200);
  assert.match(html.headers['content-type'] as string, /text\/html/);
  assert.match(html.body, /<canvas/);
  assert.equal((await app.inject({ method: 'GET', url: '/v1/reviews', headers: auth('marketer') })).statusCode, 403);
  assert.equal((await app.inject({ method: 'GET', url: '/v1/reviews' })).statusCode, 401);
  const missing = await app.inject({
    method: 'GET',
    url: `/v1/reviews/${summary.id.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}`,
    headers: auth('reviewer'),
  });
  assert.equal(missing.statusCode, 404);
  const traversal = await app.inject({ method: 'GET', url: '/v1/reviews/..%2F..%2Fkeys', headers: auth('reviewer') });
  assert.ok(traversal.statusCode >= 400 && traversal.statusCode < 500);
});
