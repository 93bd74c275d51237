import assert from 'node:assert/strict';
import { test } from 'node:test';
import { welcomeSeries } from '../../campaigns/welcome-series.js';
import type { JourneyState } from '../../workflows/signals.js';
import { consentEvent } from '../helpers/engine.js';
import { uniqueId } from '../helpers/services.js';
import { timeSkippingWorld } from '../helpers/time-skipping-worker.js';

// The real welcome series (3 days, then 4 days, with daytime windows) on the Java time-skipping test server:
// a week of durable timers runs in seconds, against real Redis and real SMTP.
const world = timeSkippingWorld('sink');
const { services } = world;

test('the week-long welcome series runs on the time-skipping server clock, keeping its waits and daytime windows', async () => {
  const { worker, taskQueue } = await world.worker();
  const env = world.env;
  const address = `${uniqueId('week')}@example.org`;
  const res = await services.subjects.upsert(uniqueId('s'), {
    email: address,
    first_name: 'Wren',
    timezone: 'Asia/Shanghai',
  });
  assert.equal(res.status, 'written');
  if (res.status !== 'written') return;
  await services.consent.append(consentEvent(res.ref, { purpose: 'marketing.email.newsletter' }));
  const campaign = welcomeSeries;
  const serverStart = await env.currentTimeMs();
  const result = (await worker.runUntil(
    env.client.workflow.execute('journey', {
      taskQueue,
      workflowId: `journey:${campaign.id}:${res.ref}`,
      args: [{ v: 1, campaign, campaignVersion: 'ts', subjectRef: res.ref }],
    }),
  )) as JourneyState;
  // The server's clock, not the wall clock, crossed the 3 + 4 days of durable timers: time was skipped, not waited.
  assert.ok((await env.currentTimeMs()) - serverStart >= 7 * 86_400_000, "the test server's clock moved a week");
  assert.equal(result.status, 'completed');
  const sends = result.history.filter((h) => h.type === 'send');
  assert.deepEqual(
    sends.map((h) => h.outcome),
    ['sent', 'sent', 'sent'],
  );
  const at = (id: string) => Date.parse(result.history.find((h) => h.stepId === id)!.at);
  assert.ok(at('send-story') - at('send-welcome') >= 3 * 86_400_000, 'story mail at least 3 days after the welcome');
  assert.ok(
    at('send-preferences') - at('send-story') >= 4 * 86_400_000,
    'preferences mail at least 4 days after the story',
  );
  for (const id of ['send-story', 'send-preferences']) {
    const hour = Number(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', hourCycle: 'h23' }).format(
        new Date(at(id)),
      ),
    );
    assert.ok(hour >= 9 && hour < 20, `${id} went out in Shanghai daytime (hour ${hour})`);
  }
  assert.equal(world.sink.received.filter((m) => m.envelopeTo.includes(address)).length, 3);
});
