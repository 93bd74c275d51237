import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runGuardedSends, type SendPipelineDeps, type SendSpec } from '../../activities/send-pipeline.js';
import { consentEvent } from '../helpers/engine.js';
import { sendPath } from '../helpers/send-path.js';
import { uniqueId } from '../helpers/services.js';

// Frequency caps on the real send path: the window is read with the guard state and the slot taken by the
// reservation, against real Redis and a real SMTP sink.
const path = sendPath('cap');
const { redis, services } = path;

const cap = { max: 1, perMs: 7 * 86_400_000 };
const spec = (over: Partial<SendSpec> = {}): SendSpec => ({
  campaignId: uniqueId('c'),
  campaignVersion: 'v',
  workflowId: uniqueId('wf'),
  runId: uniqueId('run'),
  stepId: 'send-1',
  frequencyCap: cap,
  purpose: 'marketing.email.newsletter',
  channel: 'email',
  processor: 'smtp-relay',
  templateId: 'welcome-1',
  ...over,
});

async function subject() {
  const address = `${uniqueId('p')}@example.org`;
  const r = await services.subjects.upsert(uniqueId('s'), { email: address, first_name: 'Cap' });
  if (r.status !== 'written') throw new Error('seed refused');
  await services.consent.append(consentEvent(r.ref, { purpose: 'marketing.email.newsletter' }));
  return { ref: r.ref, address };
}

const received = (address: string) => path.sink.received.filter((m) => m.envelopeTo.includes(address)).length;
const window = (ref: string) => redis.zrange(path.deps.ledger.capKey(ref as never, 'email'), 0, -1);

async function decisions(ref: string, workflowId: string) {
  const out = [];
  for await (const e of services.log.query({ subjectRef: ref as never, kind: 'decision' }))
    if (e.workflowId === workflowId) out.push([e.outcome, e.reasons.join(','), e.result ?? '']);
  return out;
}

test('a capped step sends while the window has room and takes its slot at the reservation; the next campaign is capped', async () => {
  const { ref, address } = await subject();
  const first = spec();
  const [a] = await runGuardedSends(path.deps, first, [ref]);
  assert.equal(a?.status, 'sent');
  assert.deepEqual(await window(ref), [`${first.workflowId}:${first.stepId}`]);
  const [b] = await runGuardedSends(path.deps, spec(), [ref]);
  assert.deepEqual([b?.status, b?.reasons], ['denied', ['frequency_capped']]);
  assert.equal(received(address), 1);
  assert.equal((await window(ref)).length, 1, 'a capped denial takes no slot');
});

test('a window that fills between the decision and the reservation means no send, logged as a re-decision', async () => {
  const { ref, address } = await subject();
  const other = spec();
  // Another campaign sends to the same person right after this step read the window (still empty) with its state.
  const racing: SendPipelineDeps = {
    ...path.deps,
    loadGuardStatesWith: async (refs, extraKey, read) => {
      const got = await path.deps.loadGuardStatesWith(refs, extraKey, read);
      const [o] = await runGuardedSends(path.deps, other, [ref]);
      assert.equal(o?.status, 'sent');
      return got;
    },
  };
  const s = spec();
  const [mine] = await runGuardedSends(racing, s, [ref]);
  assert.deepEqual([mine?.status, mine?.reasons], ['denied', ['frequency_capped']]);
  assert.equal(received(address), 1, 'only the campaign that reserved first sent');
  assert.deepEqual(await window(ref), [`${other.workflowId}:${other.stepId}`]);
  const logged = await decisions(ref, s.workflowId);
  assert.deepEqual(
    logged.map(([outcome, reasons]) => [outcome, reasons]),
    [
      ['allow', ''],
      ['deny', 'frequency_capped'],
    ],
  );
  assert.equal(logged[1]![2], 'redecided_at_reservation');
});

test('a step whose cap window was not read fails closed as frequency capped', async () => {
  const { ref, address } = await subject();
  const blind: SendPipelineDeps = {
    ...path.deps,
    loadGuardStatesWith: async (refs, extraKey) =>
      (await path.deps.loadGuardStatesWith(refs, extraKey)).map(({ state, extra }) => ({ state, extra })),
  };
  const [o] = await runGuardedSends(blind, spec(), [ref]);
  assert.deepEqual([o?.status, o?.reasons], ['denied', ['frequency_capped']]);
  assert.equal(received(address), 0);
  assert.deepEqual(await window(ref), []);
});

test('a member held by a pause gives its slot back, so another campaign may use it; once resumed it is re-decided', async () => {
  const { ref, address } = await subject();
  const s = spec();
  const [held] = await runGuardedSends(path.deps, s, [ref], { held: () => true });
  assert.deepEqual([held?.status, held?.reasons], ['busy', ['run_paused']]);
  assert.deepEqual(await window(ref), [], 'a held send keeps no slot');
  // Meanwhile another campaign takes the one slot of the window; the held member, resumed, is then capped.
  const other = spec();
  const [o] = await runGuardedSends(path.deps, other, [ref]);
  assert.equal(o?.status, 'sent');
  const [resumed] = await runGuardedSends(path.deps, s, [ref]);
  assert.deepEqual([resumed?.status, resumed?.reasons], ['denied', ['frequency_capped']]);
  assert.equal(received(address), 1);
  assert.deepEqual(await window(ref), [`${other.workflowId}:${other.stepId}`]);
});

test('a held capped member that is resumed with room in the window takes its slot again and sends once', async () => {
  const { ref, address } = await subject();
  const s = spec();
  await runGuardedSends(path.deps, s, [ref], { held: () => true });
  const [sent] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(sent?.status, 'sent');
  assert.equal(received(address), 1);
  assert.deepEqual(await window(ref), [`${s.workflowId}:${s.stepId}`]);
});

test('a deferred capped member whose consent is then withdrawn frees its slot when the retry is denied', async () => {
  const { ref, address } = await subject();
  const s = spec();
  path.sink.failRecipients((a) => a === address, 451, '4.7.1 try later', 1);
  const [first] = await runGuardedSends(path.deps, s, [ref]);
  assert.equal(first?.status, 'deferred');
  assert.deepEqual(await window(ref), [`${s.workflowId}:${s.stepId}`], 'a deferred send keeps its slot to send later');
  await services.consent.append(consentEvent(ref, { purpose: 'marketing.email.newsletter', type: 'withdrawn' }));
  const [retry] = await runGuardedSends(path.deps, s, [ref]);
  assert.deepEqual([retry?.status, retry?.reasons], ['denied', ['consent_withdrawn']]);
  assert.deepEqual(await window(ref), [], 'a send that will never happen holds no slot');
  assert.equal(received(address), 0);
});
