import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sendRunPage } from '../../activities/run-page.js';
import { runGuardedSends, type SendSpec } from '../../activities/send-pipeline.js';
import { newsletterMembers, newsletterSpec, sendPath } from '../helpers/send-path.js';
import { uniqueId } from '../helpers/services.js';

// A paused run stops sending at once, not at the end of the chunks it has in flight: real Redis, a real SMTP sink.
const path = sendPath('pause');
const { services } = path;
const deferral = { baseMs: 1_000, maxAttempts: 3 };

const spec = (): SendSpec => newsletterSpec({ runId: uniqueId('run') });

const members = (n: number) => newsletterMembers(services, n);

const mailsTo = (address: string) => path.sink.received.filter((m) => m.envelopeTo.includes(address)).length;

test('a held send keeps its logged decision and sends nothing; the next attempt sends it once under that decision', async () => {
  const people = await members(4);
  const refs = people.map((p) => p.ref);
  const s = spec();
  const held = await runGuardedSends(path.deps, s, refs, { held: () => true });
  assert.deepEqual(
    held.map((o) => [o.status, o.reasons]),
    refs.map(() => ['busy', ['run_paused']]),
  );
  for (const p of people) assert.equal(mailsTo(p.address), 0, 'nothing leaves a paused run');
  const resumed = await runGuardedSends(path.deps, s, refs);
  assert.deepEqual(
    resumed.map((o) => o.status),
    refs.map(() => 'sent'),
  );
  assert.deepEqual(
    resumed.map((o) => o.decisionId),
    held.map((o) => o.decisionId),
    'the decision of record is reused, not made again',
  );
  for (const p of people) assert.equal(mailsTo(p.address), 1);
});

test("a page of a run whose pause flag is set sends nothing and leaves its members waiting; after the flag clears they're sent", async () => {
  const people = await members(3);
  const refs = people.map((p) => p.ref);
  const s = spec();
  await services.runs.journeys.setPaused(s.runId, true);
  const held = await sendRunPage(path.deps, s, undefined, 0, refs, deferral);
  assert.deepEqual(
    held.map((o) => o.reasons),
    refs.map(() => ['run_paused']),
  );
  assert.equal((await services.runs.waiting(s.runId)).count, refs.length, 'each member waits for another attempt');
  for (const p of people) assert.equal(mailsTo(p.address), 0);

  await services.runs.journeys.setPaused(s.runId, false);
  const sent = await sendRunPage(path.deps, s, undefined, 0, refs, deferral);
  assert.deepEqual(
    sent.map((o) => o.status),
    refs.map(() => 'sent'),
  );
  assert.equal((await services.runs.waiting(s.runId)).count, 0);
  for (const p of people) assert.equal(mailsTo(p.address), 1);
});
